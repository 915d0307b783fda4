package io.railyard.settlementbatch;

import io.railyard.api.ApiProblem;
import io.railyard.api.JsonBodies;
import io.railyard.api.Keyset;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.springframework.stereotype.Component;

/** Ops, read-only: the settlement batches sent to batched rails, with their lines and the transfers in each line. */
@Component
class SettlementBatchRoutes extends RouteBuilder {

    private static final Pattern RAIL = Pattern.compile("[a-z0-9][a-z0-9-]{0,39}");

    private final SettlementBatches batches;
    private final JsonBodies bodies;

    SettlementBatchRoutes(SettlementBatches batches, JsonBodies bodies) {
        this.batches = batches;
        this.bodies = bodies;
    }

    @Override
    public void configure() {
        rest("/ops/settlement-batches").description("Ops: settlement batches of batched rails (read-only)")
                .get().id("settlement-batch.ops.list")
                    .description("Newest first; query: rail, status, limit, cursor").to("direct:settlement-batch.ops.list")
                .get("/{batchId}").id("settlement-batch.ops.get")
                    .description("One batch: its lines (netted per beneficiary) and the transfers of each line")
                    .to("direct:settlement-batch.ops.get");

        from("direct:settlement-batch.ops.list").routeId("settlement-batch.ops.list.handle")
                .routeConfigurationId("api-errors").process(this::list);
        from("direct:settlement-batch.ops.get").routeId("settlement-batch.ops.get.handle")
                .routeConfigurationId("api-errors").process(exchange -> {
                    UUID id = ApiProblem.pathId(exchange, "batchId", "settlement batch");
                    bodies.respond(exchange, 200, batches.detail(id)
                            .orElseThrow(() -> ApiProblem.notFound("settlement batch " + id)));
                });
    }

    private void list(Exchange exchange) {
        String rail = exchange.getIn().getHeader("rail", String.class);
        if (rail != null && !RAIL.matcher(rail).matches()) {
            throw ApiProblem.badRequest("invalid_query", "rail is a rail name (lowercase letters, digits, dashes)",
                    "rail");
        }
        String status = exchange.getIn().getHeader("status", String.class);
        if (status != null && !SettlementBatches.STATUSES.contains(status.toUpperCase())) {
            throw ApiProblem.badRequest("invalid_query", "status is one of " + SettlementBatches.STATUSES, "status");
        }
        int limit = Keyset.limit(exchange.getIn().getHeader("limit", String.class));
        Keyset.Page<Map<String, Object>> page = batches.list(rail, status == null ? null : status.toUpperCase(),
                limit, exchange.getIn().getHeader("cursor", String.class));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("data", page.data());
        body.put("next_cursor", page.nextCursor());
        bodies.respond(exchange, 200, body);
    }
}
