package io.railyard.webhook;

import io.railyard.api.ApiProblem;
import io.railyard.api.JsonBodies;
import io.railyard.api.Keyset;
import io.railyard.idempotency.Idempotency;
import io.railyard.partner.PartnerPrincipal;
import io.railyard.partner.Tenancy;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.springframework.stereotype.Component;

/** Partner API: webhook endpoints, deliveries and their attempts, dead letters, replays, test events. */
@Component
class WebhookRoutes extends RouteBuilder {

    private final WebhookEndpoints endpoints;
    private final WebhookDeliveries deliveries;
    private final JsonBodies bodies;
    private final Idempotency idempotency;

    WebhookRoutes(WebhookEndpoints endpoints, WebhookDeliveries deliveries, JsonBodies bodies,
            Idempotency idempotency) {
        this.endpoints = endpoints;
        this.deliveries = deliveries;
        this.bodies = bodies;
        this.idempotency = idempotency;
    }

    record CreateEndpoint(String url, List<String> eventTypes, String description, Boolean enabled) {
    }

    record PatchEndpoint(String url, List<String> eventTypes, String description, Boolean enabled) {
    }

    record Rotate(String overlap) {
    }

    record TestEvent(String eventType) {
    }

    record Replay(String since) {
    }

    @Override
    public void configure() {
        rest("/webhooks").description("Partner: webhooks")
                .post("/endpoints").id("webhook.api.endpoint-create")
                    .description("Register an endpoint; the answer carries its signing secret (shown once)")
                    .to("direct:webhook.api.endpoint-create")
                .get("/endpoints").id("webhook.api.endpoint-list").description("List the partner's endpoints")
                    .to("direct:webhook.api.endpoint-list")
                .get("/endpoints/{endpointId}").id("webhook.api.endpoint-get").description("One endpoint")
                    .to("direct:webhook.api.endpoint-get")
                .patch("/endpoints/{endpointId}").id("webhook.api.endpoint-update")
                    .description("Change url, event_types, description or enabled")
                    .to("direct:webhook.api.endpoint-update")
                .delete("/endpoints/{endpointId}").id("webhook.api.endpoint-delete")
                    .description("Delete an endpoint with its delivery log")
                    .to("direct:webhook.api.endpoint-delete")
                .post("/endpoints/{endpointId}/rotate-secret").id("webhook.api.endpoint-rotate")
                    .description("New signing secret (shown once); the previous one keeps signing for the overlap")
                    .to("direct:webhook.api.endpoint-rotate")
                .post("/endpoints/{endpointId}/test").id("webhook.api.endpoint-test")
                    .description("Send a test event now and show the request and the response")
                    .to("direct:webhook.api.endpoint-test")
                .post("/endpoints/{endpointId}/replay").id("webhook.api.endpoint-replay")
                    .description("Replay every dead delivery of the endpoint since a time: {\"since\": rfc3339}")
                    .to("direct:webhook.api.endpoint-replay")
                .get("/deliveries").id("webhook.api.delivery-list")
                    .description("Deliveries, newest first; query: endpoint_id, status, event_type, event_id, limit, "
                            + "cursor")
                    .to("direct:webhook.api.delivery-list")
                .get("/deliveries/{deliveryId}").id("webhook.api.delivery-get")
                    .description("One delivery with its payload and attempts (request headers, response, latency)")
                    .to("direct:webhook.api.delivery-get")
                .post("/deliveries/{deliveryId}/replay").id("webhook.api.delivery-replay")
                    .description("Send the delivery again, from the start of the retry schedule")
                    .to("direct:webhook.api.delivery-replay")
                .get("/dead-letters").id("webhook.api.dead-letters")
                    .description("The dead letter queue: deliveries whose attempts are exhausted; query: endpoint_id, "
                            + "event_type, limit, cursor")
                    .to("direct:webhook.api.dead-letters")
                .get("/event-types").id("webhook.api.event-types").description("The event types one can subscribe to")
                    .to("direct:webhook.api.event-types");

        handle("endpoint-create", idempotency.optional(this::create));
        handle("endpoint-list", exchange -> bodies.respond(exchange, 200, Map.of("data",
                endpoints.list(partner(exchange)).stream().map(WebhookEndpoints.Endpoint::view).toList())));
        handle("endpoint-get", exchange -> bodies.respond(exchange, 200,
                endpoints.require(partner(exchange), ApiProblem.pathId(exchange, "endpointId", "webhook endpoint")).view()));
        handle("endpoint-update", idempotency.optional(this::update));
        handle("endpoint-delete", idempotency.optional(this::delete));
        handle("endpoint-rotate", idempotency.optional(this::rotate));
        handle("endpoint-test", idempotency.optional(this::test));
        handle("endpoint-replay", idempotency.optional(this::replayEndpoint));
        handle("delivery-list", exchange -> list(exchange, null));
        handle("delivery-get", exchange -> bodies.respond(exchange, 200,
                deliveries.detail(partner(exchange), ApiProblem.pathId(exchange, "deliveryId", "webhook delivery"))));
        handle("delivery-replay", idempotency.optional(exchange -> bodies.respond(exchange, 202,
                deliveries.replay(partner(exchange), ApiProblem.pathId(exchange, "deliveryId", "webhook delivery")))));
        handle("dead-letters", exchange -> list(exchange, "DEAD"));
        handle("event-types", exchange -> bodies.respond(exchange, 200, Map.of("data", WebhookEventTypes.ALL)));
    }

    private void handle(String step, org.apache.camel.Processor processor) {
        from("direct:webhook.api." + step).routeId("webhook.api." + step + ".handle")
                .routeConfigurationId("api-errors").process(processor);
    }

    private void create(Exchange exchange) {
        CreateEndpoint request = bodies.read(exchange, CreateEndpoint.class);
        bodies.respond(exchange, 201, endpoints.create(partner(exchange), request.url(), request.eventTypes(),
                request.description(), request.enabled()));
    }

    private void update(Exchange exchange) {
        PatchEndpoint request = bodies.read(exchange, PatchEndpoint.class);
        bodies.respond(exchange, 200, endpoints.update(partner(exchange), ApiProblem.pathId(exchange, "endpointId",
                "webhook endpoint"), new WebhookEndpoints.Patch(request.url(), request.eventTypes(),
                        request.description(), request.enabled())).view());
    }

    private void delete(Exchange exchange) {
        endpoints.delete(partner(exchange), ApiProblem.pathId(exchange, "endpointId", "webhook endpoint"));
        bodies.noContent(exchange);
    }

    private void rotate(Exchange exchange) {
        Rotate request = optionalBody(exchange, Rotate.class);
        Duration overlap = null;
        if (request != null && request.overlap() != null) {
            try {
                overlap = Duration.parse(request.overlap());
            } catch (DateTimeParseException e) {
                throw ApiProblem.invalid("overlap", "an ISO-8601 duration such as PT24H (PT0S: revoke at once)");
            }
        }
        bodies.respond(exchange, 200, endpoints.rotate(partner(exchange), ApiProblem.pathId(exchange, "endpointId",
                "webhook endpoint"), overlap));
    }

    private void test(Exchange exchange) {
        TestEvent request = optionalBody(exchange, TestEvent.class);
        bodies.respond(exchange, 200, deliveries.sendTest(partner(exchange), ApiProblem.pathId(exchange, "endpointId",
                "webhook endpoint"), request == null ? null : request.eventType()));
    }

    private void replayEndpoint(Exchange exchange) {
        Replay request = bodies.read(exchange, Replay.class);
        if (request.since() == null) {
            throw ApiProblem.invalid("since", "an RFC 3339 time is required");
        }
        Instant since;
        try {
            since = OffsetDateTime.parse(request.since()).toInstant();
        } catch (DateTimeParseException e) {
            throw ApiProblem.invalid("since", "an RFC 3339 time such as 2025-01-31T00:00:00Z");
        }
        UUID endpointId = ApiProblem.pathId(exchange, "endpointId", "webhook endpoint");
        int replayed = deliveries.replayDead(partner(exchange), endpointId, since);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("endpoint_id", endpointId.toString());
        body.put("since", since.toString());
        body.put("replayed", replayed);
        bodies.respond(exchange, 202, body);
    }

    private void list(Exchange exchange, String status) {
        String endpointId = exchange.getIn().getHeader("endpoint_id", String.class);
        WebhookDeliveries.Filter filter = new WebhookDeliveries.Filter(
                endpointId == null ? null : WebhookDeliveries.uuid(endpointId, "endpoint_id"),
                status != null ? status : exchange.getIn().getHeader("status", String.class),
                exchange.getIn().getHeader("event_type", String.class),
                exchange.getIn().getHeader("event_id", String.class));
        WebhookDeliveries.Page page = deliveries.list(partner(exchange), filter,
                Keyset.limit(exchange.getIn().getHeader("limit", String.class)),
                exchange.getIn().getHeader("cursor", String.class));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("data", page.data());
        body.put("next_cursor", page.nextCursor());
        bodies.respond(exchange, 200, body);
    }

    private <T> T optionalBody(Exchange exchange, Class<T> type) {
        String body = exchange.getIn().getBody(String.class);
        exchange.getIn().setBody(body);
        return body == null || body.isBlank() ? null : bodies.read(exchange, type);
    }

    private static UUID partner(Exchange exchange) {
        PartnerPrincipal partner = Tenancy.partnerOf(exchange);
        return partner.partnerId();
    }
}
