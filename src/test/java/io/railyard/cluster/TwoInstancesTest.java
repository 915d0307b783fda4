package io.railyard.cluster;

import static io.railyard.cluster.TestCluster.JSON;
import static io.railyard.cluster.TestCluster.OPS;
import static io.railyard.cluster.TestCluster.PARTNER_KEY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.railyard.transfer.TransferFixtures;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Two hub instances on one database and one broker, as a scaled-out deployment runs: partners talk to either, the
 * queue of a closed rail is released once when ops reopen it (clustered Quartz and row claims), an Idempotency-Key
 * sent to both at once creates one transfer, killing one hub leaves its work to the other, and every transfer is paid
 * exactly once.
 */
class TwoInstancesTest extends ClusterSuite {

    private static final int PER_RAIL = 40;

    @Test
    void twoHubsShareTheWorkReleaseEachQueuedTransferOnceAndNeverPayTwice() throws Exception {
        try (TestCluster cluster = newCluster(); HubProcess a = cluster.hub(); HubProcess b = cluster.hub()) {
            a.start();
            b.start();

            // ops on A close Pix; partners keep sending to both hubs
            assertThat(override(a, Map.of("state", "CLOSED", "currency", "BRL", "reason", "test: hold BRL")).statusCode())
                    .isBetween(200, 201);
            List<String> pix = sendAlternately(a, b, n -> TransferFixtures.pix("2.00"));
            List<String> spei = sendAlternately(a, b, n -> TransferFixtures.spei("4.00"));
            await().atMost(Duration.ofMinutes(2)).untilAsserted(() -> assertThat(statuses(cluster, pix))
                    .as("outbox events not yet relayed: %d", cluster.count(
                            "select count(*) from outbox_pending"))
                    .isEqualTo(Map.of("QUEUED", (long) PER_RAIL)));

            // one key, both hubs, the same moment: one transfer
            String key = UUID.randomUUID().toString();
            String body = TestCluster.write(TransferFixtures.spei("1.00"));
            List<String> twins = List.of(a, b).stream().map(hub -> CompletableFuture.supplyAsync(() -> post(hub, key, body)))
                    .toList().stream().map(CompletableFuture::join).toList();
            assertThat(twins.get(0)).isEqualTo(twins.get(1));

            // ops on B reopen it: the queue, spread over both hubs' work, is released once; and A dies (kill -9) with
            // its share of that work in flight: B finishes it alone (Kafka hands A's partitions to B once A's session
            // expires; the sweeps and rechecks pick up what A had claimed in the database)
            assertThat(override(b, Map.of("state", "CLEARED", "currency", "BRL", "reason", "test: reopen")).statusCode())
                    .isBetween(200, 201);
            a.kill();
            await().atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofSeconds(1)).until(() -> cluster.count(
                    "select count(*) from transfers where status <> 'SETTLED'") == 0);

            assertThat(cluster.count("select count(*) from transfers")).isEqualTo(2L * PER_RAIL + 1);
            assertThat(cluster.count("""
                    select count(*) from (select transfer_id from transfer_transitions where from_status = 'QUEUED'
                    group by transfer_id having count(*) <> 1) released_twice""")).as("released more than once").isZero();
            assertThat(cluster.count("""
                    select count(*) from (select transfer_id from transfer_transitions where to_status = 'SUBMITTED'
                    group by transfer_id having count(*) <> 1) submitted_twice""")).as("submitted more than once").isZero();
            assertThat(cluster.count("select count(distinct transfer_id) from transfer_transitions where from_status = 'QUEUED'"))
                    .isEqualTo(PER_RAIL);
            assertThat(spei).hasSize(PER_RAIL);
            cluster.assertEverythingSettledOnce();
        }
    }

    /** {@link #PER_RAIL} transfers, half to each hub, sent concurrently; returns their ids. */
    private static List<String> sendAlternately(HubProcess a, HubProcess b,
            java.util.function.LongFunction<Map<String, Object>> body) {
        return IntStream.range(0, PER_RAIL).parallel().mapToObj(n -> {
            Map<String, Object> transfer = body.apply(n);
            transfer.put("reference", "two-hubs-" + n);
            return post(n % 2 == 0 ? a : b, UUID.randomUUID().toString(), TestCluster.write(transfer));
        }).toList();
    }

    private static Map<String, Long> statuses(TestCluster cluster, List<String> ids) {
        Map<String, Long> statuses = new java.util.TreeMap<>();
        cluster.db.sql("select status, count(*) from transfers where id = any(?::uuid[]) group by status")
                .param(ids.toArray(String[]::new)).query((rs, n) -> statuses.put(rs.getString(1), rs.getLong(2))).list();
        return statuses;
    }

    /** Sends as a partner does: a 409 (the same key still in progress elsewhere) is retried with the same key. */
    private static String post(HubProcess hub, String key, String body) {
        try {
            HttpResponse<String> answer = TestCluster.send("POST", hub.url() + "/v1/transfers", "Bearer " + PARTNER_KEY,
                    key, body);
            for (int retry = 0; answer.statusCode() == 409 && retry < 50; retry++) {
                Thread.sleep(100);
                answer = TestCluster.send("POST", hub.url() + "/v1/transfers", "Bearer " + PARTNER_KEY, key, body);
            }
            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(201);
            return JSON.readTree(answer.body()).get("id").asText();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static HttpResponse<String> override(HubProcess hub, Map<String, Object> request) throws Exception {
        return TestCluster.send("POST", hub.url() + "/v1/ops/settlement-windows/pix/override", OPS, null,
                TestCluster.write(request));
    }
}
