package io.railyard.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.railyard.HubTest;
import io.railyard.outbox.Outbox;
import io.railyard.transfer.TransferFixtures;
import io.railyard.webhook.WebhookReceiver.Answer;
import io.railyard.webhook.WebhookReceiver.Received;
import io.railyard.webhook.verify.WebhookVerifier;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.camel.CamelContext;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.support.TransactionTemplate;

/** Webhook delivery end to end: real receivers on loopback, events from real transfers through the API. */
class WebhookDeliveryTest extends HubTest {

    private static final Duration PATIENCE = Duration.ofSeconds(30);

    @Autowired
    WebhookSettings settings;
    @Autowired
    CamelContext camel;
    @Autowired
    TransactionTemplate tx;
    @Autowired
    Outbox outbox;
    @Autowired
    JdbcTemplate template;
    @Autowired
    WebhookEndpoints endpoints;
    @Autowired
    WebhookSender sender;
    @Autowired
    RetrySchedule schedule;
    @Autowired
    WebhookMetrics metrics;
    @Autowired
    ObjectMapper json;

    @Test
    void aDeliveryIsSignedPerStandardWebhooksAndVerifiesWithTheHelperAndAnIndependentImplementation() throws Exception {
        try (WebhookReceiver receiver = new WebhookReceiver()) {
            TestPartner partner = newPartner("100 BRL");
            JsonNode endpoint = createEndpoint(partner, receiver.url(), "transfer.accepted");
            String secret = endpoint.get("secret").asText();
            assertThat(secret).startsWith("whsec_");

            String transferId = transfer(partner);
            String eventId = eventId(transferId, "transfer.accepted");
            await().atMost(PATIENCE).until(() -> !receiver.withId(eventId).isEmpty());

            Received request = receiver.withId(eventId).get(0);
            assertThat(request.header("content-type")).isEqualTo("application/json");
            // the body is the outbox event envelope, byte for byte
            String stored = jdbc.sql("select payload::text from outbox_events where event_id = ?::uuid").param(eventId)
                    .query(String.class).single();
            assertThat(request.bodyText()).isEqualTo(stored);
            JsonNode body = JSON.readTree(request.body());
            assertThat(body.get("id").asText()).isEqualTo(eventId);
            assertThat(body.get("type").asText()).isEqualTo("transfer.accepted");
            assertThat(body.at("/data/id").asText()).isEqualTo(transferId);
            assertThat(body.at("/data/partner_id").asText()).isEqualTo(partner.id().toString());
            assertThat(Long.parseLong(request.header("webhook-timestamp")))
                    .isCloseTo(Instant.now().getEpochSecond(), org.assertj.core.data.Offset.offset(60L));

            // the shipped helper
            new WebhookVerifier(secret).verify(request.body(), request.headers());
            // an implementation written here from the specification
            assertThat(verifiedBySpec(secret, request)).isTrue();
            // and neither accepts a tampered body or another secret
            byte[] tampered = request.bodyText().replace("transfer.accepted", "transfer.settled")
                    .getBytes(StandardCharsets.UTF_8);
            assertThat(verifiedBySpec(secret, new Received(request.headers(), tampered, request.at()))).isFalse();
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> new WebhookVerifier(secret)
                    .verify(tampered, request.headers()))
                    .isInstanceOf(io.railyard.webhook.verify.WebhookVerificationException.class);
            String otherSecret = createEndpoint(partner, receiver.url(), "batch.completed").get("secret").asText();
            assertThat(verifiedBySpec(otherSecret, request)).isFalse();

            JsonNode delivery = awaitDelivery(partner, endpoint, eventId, "SUCCEEDED");
            assertThat(delivery.get("attempts").asInt()).isEqualTo(1);
            JsonNode detail = call("GET", "/v1/webhooks/deliveries/" + delivery.get("id").asText()).as(partner).send()
                    .json();
            JsonNode attempt = detail.get("attempt_log").get(0);
            assertThat(attempt.at("/request/headers/webhook-id").asText()).isEqualTo(eventId);
            assertThat(attempt.at("/request/headers/webhook-signature").asText())
                    .isEqualTo(request.header("webhook-signature"));
            assertThat(attempt.at("/response/status").asInt()).isEqualTo(204);
            assertThat(attempt.get("latency_ms").asInt()).isGreaterThanOrEqualTo(0);
            assertThat(detail.at("/payload/id").asText()).isEqualTo(eventId);
        }
    }

    @Test
    void aReceiverDownForTwentySimulatedHoursGetsEveryEventOnceItIsBack() {
        Duration day = settings.schedule().stream().reduce(Duration.ZERO, Duration::plus);
        Duration twentyHours = settings.compress(Duration.ofHours(20));
        assertThat(day).as("the schedule outlasts a 20 h outage").isGreaterThan(Duration.ofHours(22));
        try (WebhookReceiver receiver = new WebhookReceiver()) {
            TestPartner partner = newPartner("100 BRL");
            JsonNode endpoint = createEndpoint(partner, receiver.url(), "transfer.accepted");
            receiver.down();
            Instant outageStart = Instant.now();
            Instant outageEnd = outageStart.plus(twentyHours);
            // back on its own after 20 simulated hours, whatever the test thread is doing
            ScheduledExecutorService clock = Executors.newSingleThreadScheduledExecutor();
            clock.schedule(receiver::up, twentyHours.toNanos(), TimeUnit.NANOSECONDS);
            List<String> events = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                events.add(eventId(transfer(partner), "transfer.accepted"));
            }
            // part-way through the outage the first events have failed several times; more events arrive
            await().atMost(PATIENCE).until(() -> attemptsOf(events.get(0)) >= 3);
            for (int i = 0; i < 2; i++) {
                events.add(eventId(transfer(partner), "transfer.accepted"));
            }
            clock.shutdown();
            await().atMost(PATIENCE).until(() -> events.stream().allMatch(id -> "SUCCEEDED".equals(
                    statusOf(endpoint, id))));
            Set<String> receivedIds = new HashSet<>();
            receiver.received().forEach(r -> receivedIds.add(r.header("webhook-id")));
            assertThat(receivedIds).containsExactlyInAnyOrderElementsOf(events);
            assertThat(receiver.received()).as("once each").hasSize(events.size());
            assertThat(receiver.received()).allSatisfy(r -> assertThat(r.at()).isAfterOrEqualTo(outageEnd));
            assertThat(attemptsOf(events.get(0))).as("the first event waited out the outage").isGreaterThanOrEqualTo(4);
        }
    }

    @Test
    void aReceiverThatAlwaysFailsEndsInTheDeadLetterQueueAfterExactlyFiveAttemptsAndReplaysSuccessfully() {
        try (WebhookReceiver receiver = new WebhookReceiver().answer(500)) {
            TestPartner partner = newPartner("100 BRL");
            JsonNode endpoint = createEndpoint(partner, receiver.url(), "transfer.accepted");
            String eventId = eventId(transfer(partner), "transfer.accepted");

            JsonNode dead = awaitDelivery(partner, endpoint, eventId, "DEAD");
            assertThat(settings.maxAttempts()).isEqualTo(5);
            assertThat(dead.get("attempts").asInt()).isEqualTo(5);
            assertThat(dead.get("last_response_status").asInt()).isEqualTo(500);
            assertThat(receiver.withId(eventId)).hasSize(5);
            JsonNode detail = call("GET", "/v1/webhooks/deliveries/" + dead.get("id").asText()).as(partner).send()
                    .json();
            assertThat(detail.get("attempt_log")).hasSize(5);
            assertThat(detail.get("attempt_log").findValuesAsText("outcome")).containsOnly("FAILED");
            // the waits grew: each gap at least the schedule's (less jitter), and they add up to about a day
            List<Instant> times = receiver.withId(eventId).stream().map(Received::at).toList();
            for (int i = 1; i < times.size(); i++) {
                Duration gap = Duration.between(times.get(i - 1), times.get(i));
                Duration planned = settings.compress(settings.schedule().get(i));
                assertThat(gap).as("gap before attempt %d", i + 1)
                        .isGreaterThanOrEqualTo(Duration.ofNanos((long) (planned.toNanos() * 0.89)));
            }

            JsonNode letters = call("GET", "/v1/webhooks/dead-letters?endpoint_id=" + endpoint.get("id").asText())
                    .as(partner).send().json();
            assertThat(letters.get("data").findValuesAsText("event_id")).containsExactly(eventId);
            await().atMost(PATIENCE).until(() -> gauge(call("GET", "/actuator/prometheus").asOps().send().body(),
                    "railyard_webhook_dead_letters") >= 1);
            String prometheus = call("GET", "/actuator/prometheus").asOps().send().body();
            assertThat(prometheus).contains("railyard_webhook_dead_lettered_total")
                    .contains("railyard_webhook_attempts_total{outcome=\"failed\"}");

            // sixth request is the replay: the receiver is fixed
            receiver.answer(200);
            Reply replay = call("POST", "/v1/webhooks/deliveries/" + dead.get("id").asText() + "/replay").as(partner)
                    .send();
            assertThat(replay.status()).as(replay.toString()).isEqualTo(202);
            JsonNode delivered = awaitDelivery(partner, endpoint, eventId, "SUCCEEDED");
            assertThat(delivered.get("replays").asInt()).isEqualTo(1);
            assertThat(delivered.get("total_attempts").asInt()).isEqualTo(6);
            assertThat(receiver.withId(eventId)).hasSize(6);
            assertThat(receiver.withId(eventId).get(5).header("webhook-id")).isEqualTo(eventId);
            assertThat(call("GET", "/v1/webhooks/dead-letters").as(partner).send().json().get("data")).isEmpty();
        }
    }

    @Test
    void replayingAnEndpointSendsAllItsDeadEventsSinceATime() {
        try (WebhookReceiver receiver = new WebhookReceiver().answer(503)) {
            TestPartner partner = newPartner("100 BRL");
            JsonNode endpoint = createEndpoint(partner, receiver.url(), "transfer.accepted");
            List<String> events = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                events.add(eventId(transfer(partner), "transfer.accepted"));
            }
            await().atMost(PATIENCE).until(() -> events.stream().allMatch(id -> "DEAD".equals(statusOf(endpoint, id))));
            receiver.answer(200);
            String id = endpoint.get("id").asText();
            Reply future = call("POST", "/v1/webhooks/endpoints/" + id + "/replay").as(partner)
                    .json(Map.of("since", Instant.now().plusSeconds(60).toString())).send();
            assertThat(future.json().get("replayed").asInt()).isZero();
            Reply replay = call("POST", "/v1/webhooks/endpoints/" + id + "/replay").as(partner)
                    .json(Map.of("since", Instant.now().minusSeconds(600).toString())).send();
            assertThat(replay.status()).as(replay.toString()).isEqualTo(202);
            assertThat(replay.json().get("replayed").asInt()).isEqualTo(3);
            await().atMost(PATIENCE).until(() -> events.stream().allMatch(e -> "SUCCEEDED".equals(
                    statusOf(endpoint, e))));
            assertThat(call("POST", "/v1/webhooks/endpoints/" + id + "/replay").as(partner)
                    .json(Map.of("since", "yesterday")).send().status()).isEqualTo(422);
        }
    }

    @Test
    void aRestartMidScheduleLosesNoRetryTheScheduleRowsDriveDelivery() throws Exception {
        try (WebhookReceiver receiver = new WebhookReceiver().answer(503)) {
            TestPartner partner = newPartner("100 BRL");
            JsonNode endpoint = createEndpoint(partner, receiver.url(), "transfer.accepted");
            String eventId = eventId(transfer(partner), "transfer.accepted");
            await().atMost(PATIENCE).until(() -> attemptsOf(eventId) >= 2);

            camel.getRouteController().stopRoute("webhook.delivery.poll");
            WebhookDispatcher fresh = null;
            try {
                await().atMost(PATIENCE).until(() -> !inFlight(eventId));
                Map<String, Object> row = jdbc.sql("""
                        select status, attempts, next_attempt_at, lease_until from webhook_deliveries
                        where event_id = ?::uuid""").param(eventId).query().singleRow();
                int attemptsBefore = ((Number) row.get("attempts")).intValue();
                assertThat(row.get("status")).isEqualTo("PENDING");
                assertThat(attemptsBefore).isBetween(2, 4);
                assertThat(row.get("next_attempt_at")).isNotNull();
                receiver.answer(200);
                int requestsBefore = receiver.withId(eventId).size();
                assertThat(requestsBefore).isEqualTo(attemptsBefore);

                // a brand-new dispatcher (nothing in memory) finds the retry in the database and sends it
                fresh = new WebhookDispatcher(jdbc, template, tx, endpoints, sender, schedule, metrics, settings,
                        json);
                WebhookDispatcher dispatcher = fresh;
                await().atMost(PATIENCE).until(() -> {
                    dispatcher.dispatchDue();
                    return "SUCCEEDED".equals(statusOf(endpoint, eventId));
                });
                assertThat(receiver.withId(eventId)).hasSize(attemptsBefore + 1);
                assertThat(attemptsOf(eventId)).isEqualTo(attemptsBefore + 1);
            } finally {
                if (fresh != null) {
                    fresh.destroy();
                }
                camel.getRouteController().startRoute("webhook.delivery.poll");
            }
            // and with the route back, later events flow as before
            String next = eventId(transfer(partner), "transfer.accepted");
            await().atMost(PATIENCE).until(() -> "SUCCEEDED".equals(statusOf(endpoint, next)));
        }
    }

    @Test
    void twoDispatchersSharingTheDatabaseSendEachDeliveryOnceWithinThePerEndpointLimit() throws Exception {
        try (WebhookReceiver receiver = new WebhookReceiver()) {
            receiver.answer(request -> {
                slowly(5);
                return Answer.of(200);
            });
            TestPartner partner = newPartner();
            JsonNode endpoint = createEndpoint(partner, receiver.url(), "transfer.*");
            camel.getRouteController().stopRoute("webhook.delivery.poll");
            WebhookDispatcher first = new WebhookDispatcher(jdbc, template, tx, endpoints, sender, schedule, metrics,
                    settings, json);
            WebhookDispatcher second = new WebhookDispatcher(jdbc, template, tx, endpoints, sender, schedule, metrics,
                    settings, json);
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                int events = 150;
                List<String> ids = new ArrayList<>();
                for (int i = 0; i < events; i++) {
                    ids.add(appendEvent(partner, "transfer.accepted").toString());
                }
                await().atMost(PATIENCE).until(() -> pendingOf(endpoint) == events);
                List<Future<?>> runs = new ArrayList<>();
                for (WebhookDispatcher dispatcher : List.of(first, second)) {
                    runs.add(pool.submit(() -> await().atMost(PATIENCE).until(() -> {
                        dispatcher.dispatchDue();
                        return succeededOf(endpoint) == events;
                    })));
                }
                for (Future<?> run : runs) {
                    run.get(60, TimeUnit.SECONDS);
                }
                assertThat(receiver.received()).hasSize(events);
                assertThat(receiver.received().stream().map(r -> r.header("webhook-id")).distinct())
                        .containsExactlyInAnyOrderElementsOf(ids);
                assertThat(receiver.maxConcurrent()).isLessThanOrEqualTo(settings.maxInFlightPerEndpoint());
            } finally {
                pool.shutdownNow();
                first.destroy();
                second.destroy();
                camel.getRouteController().startRoute("webhook.delivery.poll");
            }
        }
    }

    @Test
    void oneHangingEndpointDoesNotDelayAnotherOne() {
        CountDownLatch release = new CountDownLatch(1);
        try (WebhookReceiver hanging = new WebhookReceiver(); WebhookReceiver healthy = new WebhookReceiver()) {
            hanging.answer(request -> {
                try {
                    release.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return Answer.of(200);
            });
            TestPartner slowPartner = newPartner();
            TestPartner fastPartner = newPartner();
            JsonNode slow = createEndpoint(slowPartner, hanging.url(), "transfer.accepted");
            JsonNode fast = createEndpoint(fastPartner, healthy.url(), "transfer.accepted");
            for (int i = 0; i < 60; i++) {
                appendEvent(slowPartner, "transfer.accepted");
            }
            await().atMost(PATIENCE).until(() -> hanging.received().size() >= settings.maxInFlightPerEndpoint());
            Instant sent = Instant.now();
            UUID fastEvent = appendEvent(fastPartner, "transfer.accepted");
            // well before the hanging requests could time out (railyard.webhooks.timeout, 10 s)
            Duration bound = settings.timeout().dividedBy(2);
            await().atMost(bound).until(() -> !healthy.withId(fastEvent.toString()).isEmpty());
            assertThat(Duration.between(sent, healthy.withId(fastEvent.toString()).get(0).at())).isLessThan(bound);
            assertThat(hanging.received()).as("the hanging requests are all still open")
                    .hasSize(settings.maxInFlightPerEndpoint());
            assertThat(hanging.maxConcurrent()).as("the hanging endpoint holds its own slots only")
                    .isEqualTo(settings.maxInFlightPerEndpoint());
            // the attempt is recorded in batches (linger): its status follows the receipt shortly
            await().atMost(bound).until(() -> "SUCCEEDED".equals(statusOf(fast, fastEvent.toString())));
            assertThat(slow.get("id").asText()).isNotBlank();
        } finally {
            release.countDown();
        }
    }

    @Test
    void gone410DisablesTheEndpointAndItsDeliveryIsDeadAtOnce() {
        try (WebhookReceiver receiver = new WebhookReceiver().answer(410)) {
            TestPartner partner = newPartner("100 BRL");
            JsonNode endpoint = createEndpoint(partner, receiver.url(), "transfer.accepted");
            String eventId = eventId(transfer(partner), "transfer.accepted");
            JsonNode dead = awaitDelivery(partner, endpoint, eventId, "DEAD");
            assertThat(dead.get("attempts").asInt()).isEqualTo(1);
            JsonNode after = call("GET", "/v1/webhooks/endpoints/" + endpoint.get("id").asText()).as(partner).send()
                    .json();
            assertThat(after.get("enabled").asBoolean()).isFalse();
            assertThat(after.get("disabled_reason").asText()).contains("410");
            // a disabled endpoint gets nothing new
            String later = eventId(transfer(partner), "transfer.accepted");
            await().during(Duration.ofMillis(600)).atMost(PATIENCE).until(() -> receiver.withId(later).isEmpty());
            assertThat(statusOf(endpoint, later)).isNull();
            // re-enabled, it receives again
            receiver.answer(200);
            call("PATCH", "/v1/webhooks/endpoints/" + endpoint.get("id").asText()).as(partner)
                    .json(Map.of("enabled", true)).send();
            String again = eventId(transfer(partner), "transfer.accepted");
            await().atMost(PATIENCE).until(() -> "SUCCEEDED".equals(statusOf(endpoint, again)));
        }
    }

    @Test
    void retryAfterIsHonoured() {
        try (WebhookReceiver receiver = new WebhookReceiver()) {
            receiver.answer(request -> new Answer(429, Map.of("Retry-After", "3600"), "slow down"));
            TestPartner partner = newPartner("100 BRL");
            JsonNode endpoint = createEndpoint(partner, receiver.url(), "transfer.accepted");
            String eventId = eventId(transfer(partner), "transfer.accepted");
            await().atMost(PATIENCE).until(() -> attemptsOf(eventId) >= 1 && !inFlight(eventId));
            Map<String, Object> row = jdbc.sql("""
                    select extract(epoch from next_attempt_at - last_attempt_at) * 1000 as wait_ms, last_status
                    from webhook_deliveries where event_id = ?::uuid""").param(eventId).query().singleRow();
            double waitMs = ((Number) row.get("wait_ms")).doubleValue();
            double retryAfterMs = settings.compress(Duration.ofHours(1)).toMillis();
            double scheduledMs = settings.compress(settings.schedule().get(1)).toMillis() * 1.1;
            assertThat(retryAfterMs).isGreaterThan(scheduledMs);
            assertThat(waitMs).isGreaterThanOrEqualTo(retryAfterMs - 1);
            assertThat(row.get("last_status")).isEqualTo(429);
            JsonNode delivery = awaitDelivery(partner, endpoint, eventId, "PENDING");
            JsonNode detail = call("GET", "/v1/webhooks/deliveries/" + delivery.get("id").asText()).as(partner).send()
                    .json();
            assertThat(detail.at("/attempt_log/0/response/body_excerpt").asText()).isEqualTo("slow down");
            assertThat(detail.at("/attempt_log/0/response/headers/retry-after").asText()).isEqualTo("3600");
            receiver.answer(200);
            awaitDelivery(partner, endpoint, eventId, "SUCCEEDED");
        }
    }

    @Test
    void consecutiveFailuresPauseTheEndpointAndASuccessClosesTheBreaker() {
        try (WebhookReceiver receiver = new WebhookReceiver().answer(500)) {
            TestPartner partner = newPartner();
            JsonNode endpoint = createEndpoint(partner, receiver.url(), "transfer.accepted");
            String id = endpoint.get("id").asText();
            for (int i = 0; i < settings.breakerFailures() + 2; i++) {
                appendEvent(partner, "transfer.accepted");
            }
            await().atMost(PATIENCE).until(() -> jdbc.sql(
                    "select consecutive_failures >= ? and paused_until is not null from webhook_endpoints where id = ?::uuid")
                    .params(settings.breakerFailures(), id).query(Boolean.class).single());
            JsonNode paused = call("GET", "/v1/webhooks/endpoints/" + id).as(partner).send().json();
            assertThat(paused.get("consecutive_failures").asInt()).isGreaterThanOrEqualTo(settings.breakerFailures());
            assertThat(paused.get("paused_until").isTextual()).isTrue();
            receiver.answer(200);
            await().atMost(PATIENCE).until(() -> jdbc.sql(
                    "select consecutive_failures = 0 and paused_until is null from webhook_endpoints where id = ?::uuid")
                    .param(id).query(Boolean.class).single());
            await().atMost(PATIENCE).until(() -> succeededOf(endpoint) == settings.breakerFailures() + 2);
        }
    }

    @Test
    void eventTypeFiltersChooseWhatEachEndpointReceives() {
        try (WebhookReceiver all = new WebhookReceiver(); WebhookReceiver cancelled = new WebhookReceiver();
                WebhookReceiver family = new WebhookReceiver(); WebhookReceiver off = new WebhookReceiver()) {
            TestPartner partner = newPartner("100 BRL");
            TestPartner stranger = newPartner("100 BRL");
            JsonNode everything = createEndpoint(partner, all.url());
            createEndpoint(partner, cancelled.url(), "transfer.cancelled");
            createEndpoint(partner, family.url(), "transfer.*");
            JsonNode disabled = createEndpoint(partner, off.url());
            call("PATCH", "/v1/webhooks/endpoints/" + disabled.get("id").asText()).as(partner)
                    .json(Map.of("enabled", false)).send();
            String acceptedEvent = appendEvent(partner, "transfer.accepted").toString();
            String cancelledEvent = appendEvent(partner, "transfer.cancelled").toString();
            String internalEvent = appendEvent(partner, "ledger.internal_thing").toString();
            String strangers = appendEvent(stranger, "transfer.accepted").toString();
            await().atMost(PATIENCE).until(() -> !cancelled.withId(cancelledEvent).isEmpty()
                    && !all.withId(cancelledEvent).isEmpty() && !family.withId(cancelledEvent).isEmpty()
                    && !all.withId(acceptedEvent).isEmpty() && !family.withId(acceptedEvent).isEmpty());
            String marker = appendEvent(partner, "transfer.settled").toString();
            await().atMost(PATIENCE).until(() -> !all.withId(marker).isEmpty());
            assertThat(all.withId(internalEvent)).as("internal event types are never delivered").isEmpty();
            assertThat(all.withId(strangers)).isEmpty();
            assertThat(cancelled.received()).extracting(r -> r.header("webhook-id")).containsOnly(cancelledEvent);
            assertThat(all.received()).allSatisfy(r -> assertThat(JSON.readTree(r.body()).at("/data/partner_id")
                    .asText()).isEqualTo(partner.id().toString()));
            assertThat(off.received()).isEmpty();
            assertThat(everything.get("event_types")).isEmpty();
        }
    }

    @Test
    void anEventCommittedAfterAHigherOneWasFannedOutIsStillDelivered() throws Exception {
        try (WebhookReceiver receiver = new WebhookReceiver()) {
            TestPartner partner = newPartner();
            createEndpoint(partner, receiver.url(), "transfer.accepted");
            CountDownLatch appended = new CountDownLatch(1);
            CountDownLatch commit = new CountDownLatch(1);
            UUID[] early = new UUID[1];
            Thread slowTransaction = new Thread(() -> tx.executeWithoutResult(status -> {
                early[0] = appendUncommitted(partner);
                appended.countDown();
                try {
                    commit.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
            slowTransaction.start();
            assertThat(appended.await(10, TimeUnit.SECONDS)).isTrue();
            UUID later = appendEvent(partner, "transfer.accepted");
            await().atMost(PATIENCE).until(() -> !receiver.withId(later.toString()).isEmpty());
            long earlyId = jdbc.sql("select max(id) from outbox_events").query(Long.class).single();
            assertThat(jdbc.sql("select high_water from webhook_fanout_cursor").query(Long.class).single())
                    .isGreaterThanOrEqualTo(earlyId);
            commit.countDown();
            slowTransaction.join(10_000);
            await().atMost(PATIENCE).until(() -> !receiver.withId(early[0].toString()).isEmpty());
            assertThat(receiver.withId(early[0].toString())).hasSize(1);
        }
    }

    // ------------------------------------------------------------------ helpers

    private JsonNode createEndpoint(TestPartner partner, String url, String... types) {
        Reply reply = call("POST", "/v1/webhooks/endpoints").as(partner)
                .json(Map.of("url", url, "event_types", List.of(types), "description", "test receiver")).send();
        assertThat(reply.status()).as(reply.toString()).isEqualTo(201);
        return reply.json();
    }

    private String transfer(TestPartner partner) {
        if (ledger.balance(partner.account(io.railyard.ledger.CurrencyCode.BRL,
                io.railyard.ledger.AccountKind.AVAILABLE)) < 1000) {
            fund(partner, io.railyard.ledger.CurrencyCode.BRL, new java.math.BigDecimal("100"));
        }
        return createTransfer(partner, TransferFixtures.pix("1.00"));
    }

    private String eventId(String transferId, String type) {
        return jdbc.sql("select event_id::text from outbox_events where event_key = ? and event_type = ?")
                .params(transferId, type).query(String.class).single();
    }

    /** An outbox event as the transfer stage writes it (the envelope's data names the partner). */
    private UUID appendEvent(TestPartner partner, String type) {
        return tx.execute(status -> outbox.append("railyard.test.webhooks.v1", UUID.randomUUID().toString(), type,
                Map.of("object", "transfer", "partner_id", partner.id().toString())));
    }

    private UUID appendUncommitted(TestPartner partner) {
        return outbox.append("railyard.test.webhooks.v1", UUID.randomUUID().toString(), "transfer.accepted",
                Map.of("object", "transfer", "partner_id", partner.id().toString(), "early", true));
    }

    private JsonNode awaitDelivery(TestPartner partner, JsonNode endpoint, String eventId, String status) {
        JsonNode[] found = new JsonNode[1];
        await().atMost(PATIENCE).until(() -> {
            JsonNode data = call("GET", "/v1/webhooks/deliveries?endpoint_id=" + endpoint.get("id").asText()
                    + "&event_id=" + eventId).as(partner).send().json().get("data");
            if (data.size() == 1 && data.get(0).get("status").asText().equals(status)
                    && !data.get(0).get("in_flight").asBoolean()) {
                found[0] = data.get(0);
                return true;
            }
            return false;
        });
        return found[0];
    }

    private String statusOf(JsonNode endpoint, String eventId) {
        return jdbc.sql("select status from webhook_deliveries where endpoint_id = ?::uuid and event_id = ?::uuid")
                .params(endpoint.get("id").asText(), eventId).query(String.class).optional().orElse(null);
    }

    private int attemptsOf(String eventId) {
        return jdbc.sql("select coalesce(max(total_attempts), 0) from webhook_deliveries where event_id = ?::uuid")
                .param(eventId).query(Integer.class).single();
    }

    private boolean inFlight(String eventId) {
        return jdbc.sql("select lease_until is not null from webhook_deliveries where event_id = ?::uuid")
                .param(eventId).query(Boolean.class).single();
    }

    private long pendingOf(JsonNode endpoint) {
        return jdbc.sql("select count(*) from webhook_deliveries where endpoint_id = ?::uuid and status = 'PENDING'")
                .param(endpoint.get("id").asText()).query(Long.class).single();
    }

    private long succeededOf(JsonNode endpoint) {
        return jdbc.sql("select count(*) from webhook_deliveries where endpoint_id = ?::uuid and status = 'SUCCEEDED'")
                .param(endpoint.get("id").asText()).query(Long.class).single();
    }

    private static double gauge(String prometheus, String name) {
        return Arrays.stream(prometheus.split("\n")).filter(line -> line.startsWith(name + " ")
                || line.startsWith(name + "{")).map(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
                .findFirst().orElse(-1.0);
    }

    private static void slowly(long millis) {
        try {
            Thread.sleep(millis); // the receiver's own processing time, not a test wait
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Standard Webhooks verification, written here from the specification and independent of the shipped helper. */
    static boolean verifiedBySpec(String secret, Received request) throws Exception {
        String id = request.header("webhook-id");
        String timestamp = request.header("webhook-timestamp");
        if (Math.abs(Instant.now().getEpochSecond() - Long.parseLong(timestamp)) > 300) {
            return false;
        }
        byte[] key = Base64.getDecoder().decode(secret.substring("whsec_".length()));
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        mac.update((id + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8));
        String expected = "v1," + Base64.getEncoder().encodeToString(mac.doFinal(request.body()));
        return Arrays.asList(request.header("webhook-signature").split(" ")).contains(expected);
    }
}
