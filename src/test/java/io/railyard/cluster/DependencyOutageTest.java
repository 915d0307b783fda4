package io.railyard.cluster;

import static io.railyard.cluster.TestCluster.JSON;
import static io.railyard.cluster.TestCluster.PARTNER_KEY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The hub's servers failing under load, one after the other: PostgreSQL stopped (a fast shutdown: sessions cut) and
 * started again on its data, then the Kafka broker. While the database is down the hub says so (health and readiness
 * DOWN) and answers partners, reads and writes alike, promptly with 503 problem+json and Retry-After; while only the
 * broker is down it still accepts transfers (the outbox is in PostgreSQL), stays ready, and health shows kafka DOWN.
 * Each time it recovers by itself, without a restart. Then the partner sends again what was refused, and every
 * request has taken effect exactly once, every transfer settled and was executed once by its rail.
 */
class DependencyOutageTest extends ClusterSuite {

    /** The longest answer allowed while the database is down: Hikari's connection-timeout (5 s) plus a loaded CI's slack. */
    private static final Duration PROMPTLY = Duration.ofSeconds(12);

    private final PartnerLoad load = new PartnerLoad(0);

    @Test
    void theHubAnswers503WhileItsDatabaseIsDownKeepsAcceptingWhileKafkaIsDownAndRecoversByItself() throws Exception {
        try (TestCluster cluster = newCluster(); HubProcess hub = cluster.hub()) {
            hub.start();
            PartnerLoad.Senders senders = load.start(hub);
            String known = awaitCreated(20);

            cluster.stopPostgres();
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertDown(hub, "/actuator/health", "db"));
            assertDown(hub, "/actuator/health/readiness", "db");
            assertUnavailable(timed(() -> TestCluster.send("POST", hub.url() + "/v1/transfers", "Bearer " + PARTNER_KEY,
                    UUID.randomUUID().toString(), TestCluster.write(PartnerLoad.transfer(1)))));
            assertUnavailable(timed(() -> TestCluster.send("GET", hub.url() + "/v1/transfers/" + known,
                    "Bearer " + PARTNER_KEY, null, null)));
            int refusedBefore = load.refusals.size();
            await().atMost(Duration.ofMinutes(1)).until(() -> load.refusals.size() >= refusedBefore + 8);
            cluster.restartPostgres();
            // the hub was not touched: its pool finds the database again
            await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(500))
                    .until(() -> status(hub, "/actuator/health/readiness") == 200);
            awaitCreated(load.created.size() + 20);
            long refusedWhileDatabaseDown = load.refusals.size();

            cluster.stopKafka();
            await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(500))
                    .untilAsserted(() -> assertDown(hub, "/actuator/health", "kafka"));
            awaitCreated(load.created.size() + 20);
            assertThat(status(hub, "/actuator/health/readiness")).as("ready: transfers are still accepted").isEqualTo(200);
            assertThat(cluster.count("select count(*) from outbox_pending"))
                    .as("events of the transfers accepted meanwhile, waiting in the outbox").isPositive();
            cluster.restartKafka();
            await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(500))
                    .until(() -> status(hub, "/actuator/health") == 200);
            senders.stop();
            assertThat(load.refusals).as("no refusal while only the broker was down").hasSize((int) refusedWhileDatabaseDown);

            assertThat(load.lostAnswers.get()).as("requests left without an answer (hanging or cut)").isZero();
            assertThat(load.refusals).allSatisfy(DependencyOutageTest::assertUnavailable);
            load.retryUnanswered(hub);
            long executed = load.assertEachRequestTookEffectOnce(cluster, Duration.ofMinutes(3));
            System.out.printf("Dependency outages: %d requests (%d batches), %d refused with 503 while PostgreSQL was "
                    + "down (slowest answer %d ms), then sent again; %d transfers settled, each executed once by its "
                    + "rail%n", load.sent.size(), load.batches(), load.refusals.size(),
                    load.refusals.stream().mapToLong(r -> r.took().toMillis()).max().orElse(0), executed);
        }
    }

    /** Waits until the partner has been answered 201 {@code count} times; returns one transfer id. */
    private String awaitCreated(int count) {
        await().atMost(Duration.ofMinutes(2)).until(() -> load.created.size() >= count);
        return load.created.values().iterator().next();
    }

    private static void assertDown(HubProcess hub, String path, String component) throws Exception {
        HttpResponse<String> health = TestCluster.send("GET", hub.url() + path, null, null, null);
        assertThat(health.statusCode()).as(health.body()).isEqualTo(503);
        JsonNode body = JSON.readTree(health.body());
        assertThat(body.path("status").asText()).isEqualTo("DOWN");
        assertThat(body.path("components").path(component).path("status").asText()).as(health.body()).isEqualTo("DOWN");
    }

    private static int status(HubProcess hub, String path) throws Exception {
        return TestCluster.send("GET", hub.url() + path, null, null, null).statusCode();
    }

    private static void assertUnavailable(PartnerLoad.Answer answer) {
        assertThat(answer.status()).as(answer.body()).isEqualTo(503);
        assertThat(answer.contentType()).startsWith("application/problem+json");
        assertThat(answer.retryAfter()).isEqualTo("5");
        assertThat(answer.body()).contains("\"code\":\"service_unavailable\"").doesNotContain("Exception");
        assertThat(answer.took()).as("answered promptly, not left hanging").isLessThan(PROMPTLY);
    }

    private static PartnerLoad.Answer timed(Call call) throws Exception {
        long began = System.nanoTime();
        return PartnerLoad.Answer.of(call.send(), began);
    }

    @FunctionalInterface
    private interface Call {
        HttpResponse<String> send() throws Exception;
    }
}
