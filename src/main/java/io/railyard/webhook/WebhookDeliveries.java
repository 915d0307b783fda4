package io.railyard.webhook;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.railyard.api.ApiProblem;
import io.railyard.api.Keyset;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Deliveries and their attempts as partners see them (always scoped by the partner), the dead letter queue, replays
 * and test events.
 */
@Service
public class WebhookDeliveries {

    private static final List<String> STATUSES = List.of("PENDING", "SUCCEEDED", "DEAD", "FAILED");

    private final JdbcClient jdbc;
    private final ObjectMapper json;
    private final WebhookEndpoints endpoints;
    private final WebhookSender sender;

    WebhookDeliveries(JdbcClient jdbc, ObjectMapper json, WebhookEndpoints endpoints, WebhookSender sender) {
        this.jdbc = jdbc;
        this.json = json;
        this.endpoints = endpoints;
        this.sender = sender;
    }

    public record Filter(UUID endpointId, String status, String eventType, String eventId) {
    }

    public record Page(List<Map<String, Object>> data, String nextCursor) {
    }

    /** Newest first, cursor-paginated. */
    public Page list(UUID partnerId, Filter filter, int limit, String cursor) {
        StringBuilder sql = new StringBuilder("select * from webhook_deliveries where partner_id = ?");
        List<Object> params = new ArrayList<>(List.of(partnerId));
        if (filter.endpointId() != null) {
            sql.append(" and endpoint_id = ?");
            params.add(filter.endpointId());
        }
        if (filter.status() != null) {
            String status = filter.status().toUpperCase();
            if (!STATUSES.contains(status)) {
                throw ApiProblem.badRequest("invalid_query", "status is one of " + STATUSES, "status");
            }
            sql.append(" and status = ?");
            params.add(status);
        }
        if (filter.eventType() != null) {
            sql.append(" and event_type = ?");
            params.add(filter.eventType());
        }
        if (filter.eventId() != null) {
            sql.append(" and event_id = ?");
            params.add(uuid(filter.eventId(), "event_id"));
        }
        Keyset.appendPage(sql, params, cursor, limit);
        Keyset.Page<Row> page = Keyset.page(jdbc.sql(sql.toString()).params(params).query(WebhookDeliveries::row)
                .list(), limit, Row::createdAt, Row::id);
        return new Page(page.data().stream().map(Row::view).toList(), page.nextCursor());
    }

    /** One delivery with its body and every attempt (oldest first). */
    public Map<String, Object> detail(UUID partnerId, UUID id) {
        Row row = jdbc.sql("select * from webhook_deliveries where id = ? and partner_id = ?").params(id, partnerId)
                .query(WebhookDeliveries::row).optional()
                .orElseThrow(() -> ApiProblem.notFound("webhook delivery " + id));
        Map<String, Object> view = row.view();
        view.put("payload", parse(row.payload()));
        view.put("attempt_log", jdbc.sql("""
                select attempt_no, attempted_at, url, request_headers::text as request_headers, response_status,
                    response_headers::text as response_headers, response_body, latency_ms, error, outcome
                from webhook_attempts where delivery_id = ? order by attempt_no, id""").param(id)
                .query((rs, n) -> attempt(rs)).list());
        return view;
    }

    /** Sends the delivery again from the start of the schedule (its webhook-id stays the event id). */
    @Transactional
    public Map<String, Object> replay(UUID partnerId, UUID id) {
        int updated = jdbc.sql("""
                update webhook_deliveries set status = 'PENDING', attempts = 0, replays = replays + 1,
                    next_attempt_at = now(), dead_at = null, claim_token = null, lease_until = null, updated_at = now()
                where id = ? and partner_id = ? and not test and (lease_until is null or lease_until <= now())""")
                .params(id, partnerId).update();
        if (updated == 0) {
            Row row = jdbc.sql("select * from webhook_deliveries where id = ? and partner_id = ?")
                    .params(id, partnerId).query(WebhookDeliveries::row).optional()
                    .orElseThrow(() -> ApiProblem.notFound("webhook delivery " + id));
            if (row.test()) {
                throw ApiProblem.conflict("test_delivery", "a test delivery is not replayed: send a new test event");
            }
            throw ApiProblem.conflict("delivery_in_flight", "this delivery is being sent right now; replay it after");
        }
        return detail(partnerId, id);
    }

    /** Replays every dead delivery of the endpoint created at or after {@code since}; returns how many. */
    @Transactional
    public int replayDead(UUID partnerId, UUID endpointId, Instant since) {
        endpoints.require(partnerId, endpointId);
        return jdbc.sql("""
                update webhook_deliveries set status = 'PENDING', attempts = 0, replays = replays + 1,
                    next_attempt_at = now(), dead_at = null, claim_token = null, lease_until = null, updated_at = now()
                where endpoint_id = ? and partner_id = ? and status = 'DEAD' and created_at >= ?""")
                .params(endpointId, partnerId, Timestamp.from(since)).update();
    }

    /**
     * Sends a test event to the endpoint now (enabled or not, outside the retry schedule and the circuit breaker) and
     * answers with what was sent and received; recorded as a test delivery.
     */
    @Transactional
    public Map<String, Object> sendTest(UUID partnerId, UUID endpointId, String eventType) {
        String type = eventType == null ? WebhookEventTypes.TEST : eventType;
        if (!WebhookEventTypes.isPublic(type)) {
            throw ApiProblem.invalid("event_type", "one of " + WebhookEventTypes.ALL);
        }
        record Target(String url, String secret, String previous, Instant previousExpiresAt) {
        }
        Target target = jdbc.sql("""
                select url, secret, previous_secret, previous_secret_expires_at from webhook_endpoints
                where id = ? and partner_id = ?""").params(endpointId, partnerId)
                .query((rs, n) -> new Target(rs.getString("url"), rs.getString("secret"),
                        rs.getString("previous_secret"),
                        WebhookEndpoints.instant(rs.getTimestamp("previous_secret_expires_at"))))
                .optional().orElseThrow(() -> ApiProblem.notFound("webhook endpoint " + endpointId));
        UUID eventId = UUID.randomUUID();
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("object", "webhook_test");
        data.put("partner_id", partnerId.toString());
        data.put("endpoint_id", endpointId.toString());
        data.put("test", true);
        data.put("message", "A test event sent from the Railyard API; it describes no real activity.");
        Map<String, Object> envelope = new LinkedHashMap<>();
        envelope.put("id", eventId.toString());
        envelope.put("type", type);
        envelope.put("created_at", Instant.now().toString());
        envelope.put("data", data);
        String payload = write(envelope);
        List<String> secrets = endpoints.signingSecrets(target.secret(), target.previous(),
                target.previousExpiresAt(), Instant.now());
        WebhookSender.Outcome outcome = await(sender.send(new WebhookSender.Message(target.url(), eventId.toString(),
                payload, secrets)));
        UUID id = UUID.randomUUID();
        String status = outcome.succeeded() ? "SUCCEEDED" : "FAILED";
        String error = outcome.succeeded() ? null : outcome.error() != null ? outcome.error() : "HTTP "
                + outcome.status();
        jdbc.sql("""
                insert into webhook_deliveries (id, endpoint_id, partner_id, event_id, event_type, payload, test, status,
                    attempts, total_attempts, last_attempt_at, last_status, last_error, delivered_at)
                values (?, ?, ?, ?, ?, ?, true, ?, 1, 1, ?, ?, ?, case when ? then now() end)""")
                .params(id, endpointId, partnerId, eventId, type, payload, status,
                        Timestamp.from(outcome.attemptedAt()), outcome.status(), error, outcome.succeeded())
                .update();
        jdbc.sql("""
                insert into webhook_attempts (delivery_id, attempt_no, attempted_at, url, request_headers,
                    response_status, response_headers, response_body, latency_ms, error, outcome)
                values (?, 1, ?, ?, ?::jsonb, ?, ?::jsonb, ?, ?, ?, ?)""")
                .params(id, Timestamp.from(outcome.attemptedAt()), outcome.url(), write(outcome.requestHeaders()),
                        outcome.status(), outcome.responseHeaders() == null ? null : write(outcome.responseHeaders()),
                        outcome.responseBody(), (int) outcome.latencyMs(), outcome.error(),
                        outcome.succeeded() ? "SUCCEEDED" : outcome.gone() ? "GONE" : "FAILED")
                .update();
        Map<String, Object> view = detail(partnerId, id);
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("method", "POST");
        request.put("url", outcome.url());
        request.put("headers", outcome.requestHeaders());
        request.put("body", payload);
        view.put("request", request);
        Map<String, Object> response = new LinkedHashMap<>();
        response.put("status", outcome.status());
        response.put("headers", outcome.responseHeaders());
        response.put("body", outcome.responseBody());
        response.put("latency_ms", outcome.latencyMs());
        response.put("error", outcome.error());
        view.put("response", response);
        return view;
    }

    private WebhookSender.Outcome await(java.util.concurrent.CompletableFuture<WebhookSender.Outcome> sending) {
        try {
            return sending.get(sender.timeout().toMillis() + 5000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while sending a test event", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("the test event could not be sent", e);
        }
    }

    private Map<String, Object> attempt(ResultSet rs) throws SQLException {
        Map<String, Object> attempt = new LinkedHashMap<>();
        attempt.put("attempt", rs.getInt("attempt_no"));
        attempt.put("attempted_at", rs.getTimestamp("attempted_at").toInstant().toString());
        attempt.put("outcome", rs.getString("outcome"));
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("method", "POST");
        request.put("url", rs.getString("url"));
        request.put("headers", parse(rs.getString("request_headers")));
        attempt.put("request", request);
        Map<String, Object> response = new LinkedHashMap<>();
        response.put("status", (Integer) rs.getObject("response_status"));
        response.put("headers", rs.getString("response_headers") == null ? null
                : parse(rs.getString("response_headers")));
        response.put("body_excerpt", rs.getString("response_body"));
        attempt.put("response", response);
        attempt.put("latency_ms", rs.getInt("latency_ms"));
        attempt.put("error", rs.getString("error"));
        return attempt;
    }

    private JsonNode parse(String text) {
        try {
            return json.readTree(text);
        } catch (JsonProcessingException e) {
            return json.getNodeFactory().textNode(text);
        }
    }

    private String write(Object value) {
        try {
            return json.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static UUID uuid(String value, String field) {
        try {
            return UUID.fromString(value);
        } catch (IllegalArgumentException e) {
            throw ApiProblem.badRequest("invalid_query", field + " is a UUID", field);
        }
    }

    /** A delivery row. */
    record Row(UUID id, UUID endpointId, String eventId, String eventType, String payload, boolean test,
            String status, int attempts, int totalAttempts, int replays, Instant nextAttemptAt, Instant leaseUntil,
            Instant lastAttemptAt, Integer lastStatus, String lastError, Instant deliveredAt, Instant deadAt,
            Instant createdAt, Instant updatedAt) {

        Map<String, Object> view() {
            Map<String, Object> view = new LinkedHashMap<>();
            view.put("id", id.toString());
            view.put("object", "webhook_delivery");
            view.put("endpoint_id", endpointId.toString());
            view.put("event_id", eventId);
            view.put("event_type", eventType);
            view.put("status", status);
            view.put("test", test);
            view.put("attempts", attempts);
            view.put("total_attempts", totalAttempts);
            view.put("replays", replays);
            boolean pending = status.equals("PENDING");
            boolean inFlight = pending && leaseUntil != null && leaseUntil.isAfter(Instant.now());
            view.put("in_flight", inFlight);
            view.put("next_attempt_at", pending && !inFlight ? WebhookEndpoints.text(nextAttemptAt) : null);
            view.put("last_attempt_at", WebhookEndpoints.text(lastAttemptAt));
            view.put("last_response_status", lastStatus);
            view.put("last_error", lastError);
            view.put("delivered_at", WebhookEndpoints.text(deliveredAt));
            view.put("dead_at", WebhookEndpoints.text(deadAt));
            view.put("created_at", createdAt.toString());
            view.put("updated_at", updatedAt.toString());
            return view;
        }
    }

    static Row row(ResultSet rs, int n) throws SQLException {
        return new Row(rs.getObject("id", UUID.class), rs.getObject("endpoint_id", UUID.class),
                rs.getString("event_id"), rs.getString("event_type"), rs.getString("payload"), rs.getBoolean("test"),
                rs.getString("status"), rs.getInt("attempts"), rs.getInt("total_attempts"), rs.getInt("replays"),
                WebhookEndpoints.instant(rs.getTimestamp("next_attempt_at")),
                WebhookEndpoints.instant(rs.getTimestamp("lease_until")),
                WebhookEndpoints.instant(rs.getTimestamp("last_attempt_at")), (Integer) rs.getObject("last_status"),
                rs.getString("last_error"), WebhookEndpoints.instant(rs.getTimestamp("delivered_at")),
                WebhookEndpoints.instant(rs.getTimestamp("dead_at")), rs.getTimestamp("created_at").toInstant(),
                rs.getTimestamp("updated_at").toInstant());
    }
}
