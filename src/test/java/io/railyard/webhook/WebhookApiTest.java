package io.railyard.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.railyard.HubTest;
import io.railyard.outbox.Outbox;
import io.railyard.webhook.verify.WebhookVerificationException;
import io.railyard.webhook.verify.WebhookVerifier;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.camel.CamelContext;
import org.apache.camel.Route;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.transaction.support.TransactionTemplate;

/** The partner webhook API: endpoints, secrets, test events, delivery logs, tenancy; and log retention. */
class WebhookApiTest extends HubTest {

    private static final Duration PATIENCE = Duration.ofSeconds(30);

    @Autowired
    TransactionTemplate tx;
    @Autowired
    Outbox outbox;
    @Autowired
    WebhookLog webhookLog;
    @Autowired
    CamelContext camel;

    @Test
    void anEndpointIsCreatedWithASecretShownOnceAndCanBeReadChangedAndDeleted() {
        TestPartner partner = newPartner();
        Reply created = create(partner, Map.of("url", "https://example.com/hooks", "description", "orders",
                "event_types", List.of("transfer.*", "batch.completed", "transfer.*")));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        JsonNode endpoint = created.json();
        String id = endpoint.get("id").asText();
        assertThat(endpoint.get("secret").asText()).matches("whsec_[A-Za-z0-9+/]{43}=");
        assertThat(endpoint.get("enabled").asBoolean()).isTrue();
        assertThat(endpoint.get("event_types").findValuesAsText("")).isEmpty();
        assertThat(endpoint.get("event_types").toString()).isEqualTo("[\"transfer.*\",\"batch.completed\"]");

        JsonNode read = call("GET", "/v1/webhooks/endpoints/" + id).as(partner).send().json();
        assertThat(read.has("secret")).isFalse();
        assertThat(read.toString()).doesNotContain(endpoint.get("secret").asText().substring(6));
        JsonNode list = call("GET", "/v1/webhooks/endpoints").as(partner).send().json();
        assertThat(list.get("data").findValuesAsText("id")).containsExactly(id);
        assertThat(list.toString()).doesNotContain("whsec_");
        String stored = jdbc.sql("select secret from webhook_endpoints where id = ?::uuid").param(id)
                .query(String.class).single();
        assertThat(stored).isIn("plain:" + endpoint.get("secret").asText()).as("sealed when a key is configured");

        Reply patched = call("PATCH", "/v1/webhooks/endpoints/" + id).as(partner)
                .json(Map.of("url", "https://example.org/v2", "event_types", List.of(), "enabled", false)).send();
        assertThat(patched.status()).as(patched.toString()).isEqualTo(200);
        assertThat(patched.json().get("url").asText()).isEqualTo("https://example.org/v2");
        assertThat(patched.json().get("event_types")).isEmpty();
        assertThat(patched.json().get("enabled").asBoolean()).isFalse();
        assertThat(patched.json().get("disabled_reason").asText()).isEqualTo("disabled by partner");
        assertThat(patched.json().get("description").asText()).isEqualTo("orders");
        JsonNode enabled = call("PATCH", "/v1/webhooks/endpoints/" + id).as(partner)
                .json(Map.of("enabled", true, "description", "")).send().json();
        assertThat(enabled.get("enabled").asBoolean()).isTrue();
        assertThat(enabled.has("disabled_reason")).as("absent fields are left out").isFalse();
        assertThat(enabled.has("description")).isFalse();

        assertThat(call("DELETE", "/v1/webhooks/endpoints/" + id).as(partner).send().status()).isEqualTo(204);
        assertThat(call("GET", "/v1/webhooks/endpoints/" + id).as(partner).send().status()).isEqualTo(404);
        assertThat(call("DELETE", "/v1/webhooks/endpoints/" + id).as(partner).send().status()).isEqualTo(404);
    }

    @Test
    void invalidEndpointsAreRefusedAsProblems() {
        TestPartner partner = newPartner();
        assertProblem(create(partner, Map.of("url", "ftp://example.com/x")), 422, "url");
        assertProblem(create(partner, Map.of("url", "not a url")), 422, "url");
        assertProblem(create(partner, Map.of("url", "https://u:p@example.com/")), 422, "url");
        assertProblem(create(partner, Map.of()), 422, "url");
        assertProblem(create(partner, Map.of("url", "https://example.com", "event_types", List.of("transfer.paid"))),
                422, "event_types[0]");
        assertProblem(create(partner, Map.of("url", "https://example.com", "description", "x".repeat(300))), 422,
                "description");
        Reply unknown = create(partner, Map.of("url", "https://example.com", "secret", "mine"));
        assertThat(unknown.status()).isEqualTo(400);
        assertThat(unknown.json().get("code").asText()).isEqualTo("unknown_field");
        Reply text = call("POST", "/v1/webhooks/endpoints").as(partner).body("text/plain", "https://example.com")
                .send();
        assertThat(text.status()).isEqualTo(415);
        assertThat(text.contentType()).startsWith("application/problem+json");
        assertThat(call("GET", "/v1/webhooks/endpoints").send().status()).isEqualTo(401);
        String id = create(partner, Map.of("url", "https://example.com")).json().get("id").asText();
        assertProblem(call("PATCH", "/v1/webhooks/endpoints/" + id).as(partner).json(Map.of("url", "gopher://x"))
                .send(), 422, "url");
        assertProblem(call("POST", "/v1/webhooks/endpoints/" + id + "/rotate-secret").as(partner)
                .json(Map.of("overlap", "P30D")).send(), 422, "overlap");
        assertThat(call("GET", "/v1/webhooks/endpoints/not-a-uuid").as(partner).send().status()).isEqualTo(404);
        JsonNode types = call("GET", "/v1/webhooks/event-types").as(partner).send().json();
        assertThat(types.get("data").findValuesAsText("")).isEmpty();
        assertThat(types.get("data").toString()).contains("transfer.settled", "batch.completed",
                "reconciliation.discrepancy", "treasury.float_low");
    }

    @Test
    void anotherPartnersEndpointsAndDeliveriesAreNotFound() {
        try (WebhookReceiver receiver = new WebhookReceiver()) {
            TestPartner alice = newPartner();
            TestPartner bob = newPartner();
            String id = create(alice, Map.of("url", receiver.url())).json().get("id").asText();
            JsonNode test = call("POST", "/v1/webhooks/endpoints/" + id + "/test").as(alice).send().json();
            String deliveryId = test.get("id").asText();
            String base = "/v1/webhooks/endpoints/" + id;
            assertThat(call("GET", base).as(bob).send().status()).isEqualTo(404);
            assertThat(call("PATCH", base).as(bob).json(Map.of("enabled", false)).send().status()).isEqualTo(404);
            assertThat(call("POST", base + "/rotate-secret").as(bob).send().status()).isEqualTo(404);
            assertThat(call("POST", base + "/test").as(bob).send().status()).isEqualTo(404);
            assertThat(call("POST", base + "/replay").as(bob).json(Map.of("since", "2020-01-01T00:00:00Z")).send()
                    .status()).isEqualTo(404);
            assertThat(call("DELETE", base).as(bob).send().status()).isEqualTo(404);
            assertThat(call("GET", "/v1/webhooks/deliveries/" + deliveryId).as(bob).send().status()).isEqualTo(404);
            assertThat(call("POST", "/v1/webhooks/deliveries/" + deliveryId + "/replay").as(bob).send().status())
                    .isEqualTo(404);
            assertThat(call("GET", "/v1/webhooks/deliveries?endpoint_id=" + id).as(bob).send().json().get("data"))
                    .isEmpty();
            assertThat(call("GET", "/v1/webhooks/endpoints").as(bob).send().json().get("data")).isEmpty();
            assertThat(call("GET", base).as(alice).send().json().get("enabled").asBoolean()).isTrue();
            assertThat(receiver.received()).hasSize(1);
        }
    }

    @Test
    void aTestEventShowsTheSignedRequestAndTheResponse() throws Exception {
        try (WebhookReceiver receiver = new WebhookReceiver()) {
            receiver.answer(request -> WebhookReceiver.Answer.of(200, "{\"ok\":true}"));
            TestPartner partner = newPartner();
            JsonNode endpoint = create(partner, Map.of("url", receiver.url(), "event_types",
                    List.of("transfer.settled"))).json();
            String id = endpoint.get("id").asText();
            Reply reply = call("POST", "/v1/webhooks/endpoints/" + id + "/test").as(partner).send();
            assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
            JsonNode test = reply.json();
            assertThat(test.get("status").asText()).isEqualTo("SUCCEEDED");
            assertThat(test.get("test").asBoolean()).isTrue();
            assertThat(test.get("event_type").asText()).isEqualTo("webhook.test");
            assertThat(test.at("/response/status").asInt()).isEqualTo(200);
            assertThat(test.at("/response/body").asText()).isEqualTo("{\"ok\":true}");
            assertThat(test.at("/response/latency_ms").asLong()).isGreaterThanOrEqualTo(0);
            assertThat(test.at("/request/headers/webhook-id").asText()).isEqualTo(test.get("event_id").asText());
            WebhookReceiver.Received received = receiver.received().get(0);
            assertThat(received.bodyText()).isEqualTo(test.at("/request/body").asText());
            assertThat(received.header("webhook-signature")).isEqualTo(
                    test.at("/request/headers/webhook-signature").asText());
            new WebhookVerifier(endpoint.get("secret").asText()).verify(received.body(), received.headers());
            assertThat(JSON.readTree(received.body()).at("/data/test").asBoolean()).isTrue();

            receiver.answer(request -> WebhookReceiver.Answer.of(500, "boom"));
            JsonNode failed = call("POST", "/v1/webhooks/endpoints/" + id + "/test").as(partner)
                    .json(Map.of("event_type", "transfer.settled")).send().json();
            assertThat(failed.get("status").asText()).isEqualTo("FAILED");
            assertThat(failed.get("event_type").asText()).isEqualTo("transfer.settled");
            assertThat(failed.at("/response/status").asInt()).isEqualTo(500);
            assertThat(failed.at("/attempt_log/0/response/body_excerpt").asText()).isEqualTo("boom");
            assertThat(failed.at("/attempt_log/0/request/headers/webhook-signature").asText()).startsWith("v1,");
            Reply replay = call("POST", "/v1/webhooks/deliveries/" + failed.get("id").asText() + "/replay")
                    .as(partner).send();
            assertThat(replay.status()).isEqualTo(409);
            assertThat(replay.json().get("code").asText()).isEqualTo("test_delivery");
            assertProblem(call("POST", "/v1/webhooks/endpoints/" + id + "/test").as(partner)
                    .json(Map.of("event_type", "nope")).send(), 422, "event_type");
            // a test goes through the breaker-free path: the endpoint's health is untouched
            JsonNode after = call("GET", "/v1/webhooks/endpoints/" + id).as(partner).send().json();
            assertThat(after.get("consecutive_failures").asInt()).isZero();
        }
    }

    @Test
    void rotatingTheSecretSignsWithBothUntilTheOverlapEnds() throws Exception {
        try (WebhookReceiver receiver = new WebhookReceiver()) {
            TestPartner partner = newPartner();
            JsonNode endpoint = create(partner, Map.of("url", receiver.url(), "event_types",
                    List.of("transfer.accepted"))).json();
            String id = endpoint.get("id").asText();
            String oldSecret = endpoint.get("secret").asText();
            JsonNode rotated = call("POST", "/v1/webhooks/endpoints/" + id + "/rotate-secret").as(partner)
                    .header("Idempotency-Key", UUID.randomUUID().toString()).send().json();
            String newSecret = rotated.get("secret").asText();
            assertThat(newSecret).startsWith("whsec_").isNotEqualTo(oldSecret);
            assertThat(Instant.parse(rotated.get("previous_secret_expires_at").asText()))
                    .isBetween(Instant.now().plus(Duration.ofHours(23)), Instant.now().plus(Duration.ofHours(25)));

            WebhookReceiver.Received during = deliverOne(partner, receiver);
            assertThat(during.header("webhook-signature").split(" ")).hasSize(2);
            new WebhookVerifier(oldSecret).verify(during.body(), during.headers());
            new WebhookVerifier(newSecret).verify(during.body(), during.headers());

            JsonNode revoked = call("POST", "/v1/webhooks/endpoints/" + id + "/rotate-secret").as(partner)
                    .json(Map.of("overlap", "PT0S")).send().json();
            String newest = revoked.get("secret").asText();
            assertThat(revoked.has("previous_secret_expires_at")).isFalse();
            WebhookReceiver.Received after = deliverOne(partner, receiver);
            assertThat(after.header("webhook-signature").split(" ")).hasSize(1);
            new WebhookVerifier(newest).verify(after.body(), after.headers());
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> new WebhookVerifier(newSecret)
                    .verify(after.body(), after.headers())).isInstanceOf(WebhookVerificationException.class);
        }
    }

    @Test
    void anIdempotencyKeyMakesEndpointCreationSafeToRetry() {
        TestPartner partner = newPartner();
        String key = UUID.randomUUID().toString();
        Map<String, Object> body = Map.of("url", "https://example.com/once");
        Reply first = call("POST", "/v1/webhooks/endpoints").as(partner).header("Idempotency-Key", key).json(body)
                .send();
        Reply again = call("POST", "/v1/webhooks/endpoints").as(partner).header("Idempotency-Key", key).json(body)
                .send();
        assertThat(first.status()).isEqualTo(201);
        assertThat(again.status()).isEqualTo(201);
        assertThat(again.header("Idempotent-Replayed")).isEqualTo("true");
        assertThat(again.json().get("id").asText()).isEqualTo(first.json().get("id").asText());
        assertThat(call("GET", "/v1/webhooks/endpoints").as(partner).send().json().get("data")).hasSize(1);
    }

    @Test
    void deliveriesAreListedNewestFirstByCursorAndFilter() {
        try (WebhookReceiver receiver = new WebhookReceiver()) {
            TestPartner partner = newPartner();
            String id = create(partner, Map.of("url", receiver.url(), "event_types", List.of("transfer.*"))).json()
                    .get("id").asText();
            List<String> events = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                events.add(append(partner, i < 3 ? "transfer.settled" : "transfer.failed").toString());
            }
            await().atMost(PATIENCE).until(() -> receiver.received().size() == 5);
            await().atMost(PATIENCE).until(() -> call("GET", "/v1/webhooks/deliveries?status=SUCCEEDED&endpoint_id="
                    + id).as(partner).send().json().get("data").size() == 5);
            JsonNode first = call("GET", "/v1/webhooks/deliveries?limit=3&endpoint_id=" + id).as(partner).send()
                    .json();
            assertThat(first.get("data")).hasSize(3);
            JsonNode second = call("GET", "/v1/webhooks/deliveries?limit=3&endpoint_id=" + id + "&cursor="
                    + first.get("next_cursor").asText()).as(partner).send().json();
            assertThat(second.get("data")).hasSize(2);
            assertThat(second.has("next_cursor")).isFalse();
            List<String> listed = new ArrayList<>(first.get("data").findValuesAsText("event_id"));
            listed.addAll(second.get("data").findValuesAsText("event_id"));
            assertThat(listed).containsExactlyInAnyOrderElementsOf(events);
            assertThat(call("GET", "/v1/webhooks/deliveries?event_type=transfer.failed&endpoint_id=" + id)
                    .as(partner).send().json().get("data")).hasSize(2);
            assertThat(call("GET", "/v1/webhooks/deliveries?status=bogus").as(partner).send().status())
                    .isEqualTo(400);
            assertThat(call("GET", "/v1/webhooks/deliveries?cursor=garbage").as(partner).send().status())
                    .isEqualTo(400);
            assertThat(call("GET", "/v1/webhooks/deliveries?limit=1000").as(partner).send().status()).isEqualTo(400);
            assertThat(call("GET", "/v1/webhooks/deliveries?endpoint_id=x").as(partner).send().status())
                    .isEqualTo(400);
        }
    }

    @Test
    void deliveryLogsOlderThanTheRetentionArePurgedByAClusteredQuartzRoute() {
        TestPartner partner = newPartner();
        String id = create(partner, Map.of("url", "https://example.com/retention")).json().get("id").asText();
        UUID old = insertDelivery(id, partner, Duration.ofDays(31));
        UUID recent = insertDelivery(id, partner, Duration.ofDays(29));
        webhookLog.purge();
        assertThat(count("select count(*) from webhook_deliveries where id = ?", old)).isZero();
        assertThat(count("select count(*) from webhook_attempts where delivery_id = ?", old)).isZero();
        assertThat(count("select count(*) from webhook_deliveries where id = ?", recent)).isOne();
        assertThat(count("select count(*) from webhook_attempts where delivery_id = ?", recent)).isOne();

        Route purge = camel.getRoute("webhook.log.purge");
        assertThat(purge).isNotNull();
        assertThat(purge.getEndpoint().getEndpointUri()).startsWith("quartz://railyard/webhook-log-purge")
                .contains("cron=");
        assertThat(camel.getRoute("webhook.fanout.poll")).isNotNull();
        assertThat(camel.getRoute("webhook.delivery.poll")).isNotNull();
    }

    // ------------------------------------------------------------------ helpers

    private Reply create(TestPartner partner, Map<String, Object> body) {
        return call("POST", "/v1/webhooks/endpoints").as(partner).json(body).send();
    }

    private UUID append(TestPartner partner, String type) {
        return tx.execute(status -> outbox.append("railyard.test.webhooks.v1", UUID.randomUUID().toString(), type,
                new HashMap<>(Map.of("partner_id", partner.id().toString()))));
    }

    private WebhookReceiver.Received deliverOne(TestPartner partner, WebhookReceiver receiver) {
        String event = append(partner, "transfer.accepted").toString();
        await().atMost(PATIENCE).until(() -> !receiver.withId(event).isEmpty());
        return receiver.withId(event).get(0);
    }

    private UUID insertDelivery(String endpointId, TestPartner partner, Duration age) {
        UUID id = UUID.randomUUID();
        jdbc.sql("""
                insert into webhook_deliveries (id, endpoint_id, partner_id, event_id, event_type, payload, status,
                    attempts, total_attempts, created_at, updated_at, delivered_at)
                values (?, ?::uuid, ?, ?, 'transfer.settled', '{}', 'SUCCEEDED', 1, 1, now() - ? * interval '1 second',
                    now() - ? * interval '1 second', now() - ? * interval '1 second')""")
                .params(id, endpointId, partner.id(), UUID.randomUUID(), age.toSeconds(), age.toSeconds(),
                        age.toSeconds())
                .update();
        jdbc.sql("""
                insert into webhook_attempts (delivery_id, attempt_no, attempted_at, url, request_headers,
                    response_status, latency_ms, outcome)
                values (?, 1, now() - ? * interval '1 second', 'https://example.com/retention', '{}', 200, 3,
                    'SUCCEEDED')""").params(id, age.toSeconds()).update();
        return id;
    }

    private long count(String sql, UUID id) {
        return jdbc.sql(sql).param(id).query(Long.class).single();
    }

    private static void assertProblem(Reply reply, int status, String field) {
        assertThat(reply.status()).as(reply.toString()).isEqualTo(status);
        assertThat(reply.contentType()).startsWith("application/problem+json");
        assertThat(reply.json().get("field").asText()).as(reply.toString()).isEqualTo(field);
    }
}
