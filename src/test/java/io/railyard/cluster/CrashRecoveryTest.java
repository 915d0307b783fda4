package io.railyard.cluster;

import static io.railyard.cluster.TestCluster.JSON;
import static io.railyard.cluster.TestCluster.PARTNER_KEY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.railyard.transfer.TransferFixtures;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * kill -9 of the hub while partners are sending transfers and batches, several times, then recovery. Every request
 * whose answer was lost to a crash is sent again with the same Idempotency-Key, as a partner would; then every
 * transfer must settle exactly once (the rails are the witness, see {@link TestCluster}) and the ledger must balance.
 */
class CrashRecoveryTest {

    private static final int CRASHES = 3;
    private static final int BATCH_SIZE = 10;

    /** Every request sent, by Idempotency-Key, and the id of what it created once it was answered with 201. */
    private final Map<String, Request> sent = new ConcurrentHashMap<>();
    private final Map<String, String> created = new ConcurrentHashMap<>();
    private final AtomicLong lostAnswers = new AtomicLong();

    record Request(String path, String body) {
        boolean batch() {
            return path.endsWith("/batch");
        }
    }

    @Test
    void transfersAndBatchesSurviveRepeatedKillsWithEveryTransferPaidExactlyOnce() throws Exception {
        Random random = new Random(20261125);
        try (TestCluster cluster = new TestCluster(); HubProcess hub = cluster.hub()) {
            for (int crash = 0; crash < CRASHES; crash++) {
                hub.start(Duration.ofMinutes(3));
                sendUntilKilled(hub, 1500 + random.nextInt(3000));
            }
            hub.start(Duration.ofMinutes(3));

            // the partner retries every request whose answer it lost (or that failed while the hub was going down)
            for (Map.Entry<String, Request> request : sent.entrySet()) {
                if (!created.containsKey(request.getKey())) {
                    HttpResponse<String> answer = post(hub, request.getKey(), request.getValue());
                    assertThat(answer.statusCode()).as(answer.body()).isEqualTo(201);
                    created.put(request.getKey(), JSON.readTree(answer.body()).get("id").asText());
                }
            }
            // and a replay of an answered request gives the same answer, even across crashes
            for (String key : sent.keySet().stream().limit(50).toList()) {
                HttpResponse<String> replay = post(hub, key, sent.get(key));
                assertThat(JSON.readTree(replay.body()).get("id").asText()).isEqualTo(created.get(key));
            }

            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1)).until(() -> cluster.count(
                    "select count(*) from transfers where status not in ('SETTLED', 'FAILED', 'RETURNED', 'CANCELLED')")
                    == 0);
            await().atMost(Duration.ofMinutes(1)).until(() ->
                    cluster.count("select count(*) from outbox_events where published_at is null") == 0);

            long singles = sent.values().stream().filter(r -> !r.batch()).count();
            long batches = sent.size() - singles;
            assertThat(lostAnswers.get()).as("requests cut by the kills (the test must crash mid-work)").isPositive();
            assertThat(new HashSet<>(created.values())).as("one creation per Idempotency-Key").hasSize(sent.size());
            assertThat(cluster.count("select count(*) from transfers where batch_id is null"))
                    .as("single transfers: exactly one per key").isEqualTo(singles);
            assertThat(cluster.count("select count(*) from batches")).isEqualTo(batches);
            assertThat(cluster.count("select count(*) from transfers where batch_id is not null"))
                    .as("batch items: exactly one transfer each").isEqualTo(batches * BATCH_SIZE);
            await().atMost(Duration.ofSeconds(30)).until(() ->
                    cluster.count("select count(*) from batches where status <> 'COMPLETED'") == 0);
            long executed = cluster.assertEverythingSettledOnce();
            System.out.printf("Crash recovery: %d kills, %d requests (%d batches), %d answers lost to a kill, %d "
                    + "transfers settled, each executed once by its rail%n", CRASHES, sent.size(), batches,
                    lostAnswers.get(), executed);
        }
    }

    /** Four partners' worth of traffic until the hub is killed {@code killAfterMs} into it. */
    private void sendUntilKilled(HubProcess hub, long killAfterMs) throws Exception {
        AtomicBoolean sending = new AtomicBoolean(true);
        AtomicLong sequence = new AtomicLong();
        ExecutorService senders = Executors.newFixedThreadPool(4);
        for (int t = 0; t < 4; t++) {
            senders.submit(() -> {
                while (sending.get()) {
                    long n = sequence.incrementAndGet();
                    String key = UUID.randomUUID().toString();
                    Request request = n % 15 == 0 ? new Request("/v1/transfers/batch", batch(n))
                            : new Request("/v1/transfers", TestCluster.write(transfer(n)));
                    sent.put(key, request);
                    try {
                        HttpResponse<String> answer = post(hub, key, request);
                        if (answer.statusCode() == 201) {
                            created.put(key, JSON.readTree(answer.body()).get("id").asText());
                        }
                    } catch (IOException lost) {
                        lostAnswers.incrementAndGet();
                    }
                }
                return null;
            });
        }
        Thread.sleep(killAfterMs);
        hub.kill();
        sending.set(false);
        senders.shutdown();
        assertThat(senders.awaitTermination(1, TimeUnit.MINUTES)).isTrue();
    }

    static Map<String, Object> transfer(long n) {
        Map<String, Object> body = switch ((int) (n % 4)) {
            case 0 -> TransferFixtures.pix("1.25");
            case 1 -> TransferFixtures.spei("3.50");
            case 2 -> TransferFixtures.base("0.750000");
            default -> TransferFixtures.circle("0.500000");
        };
        body.put("reference", "crash-" + n);
        return body;
    }

    private static String batch(long n) {
        List<Map<String, Object>> items = new ArrayList<>();
        for (int i = 0; i < BATCH_SIZE; i++) {
            Map<String, Object> item = transfer(n * 100 + i);
            item.put("reference", "crash-batch-" + n + "-" + i);
            items.add(item);
        }
        return TestCluster.write(Map.of("items", items));
    }

    private static HttpResponse<String> post(HubProcess hub, String key, Request request)
            throws IOException, InterruptedException {
        return TestCluster.send("POST", hub.url() + request.path(), "Bearer " + PARTNER_KEY, key, request.body());
    }
}
