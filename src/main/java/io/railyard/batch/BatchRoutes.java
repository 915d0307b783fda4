package io.railyard.batch;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.railyard.api.ApiProblem;
import io.railyard.api.JsonBodies;
import io.railyard.api.Problem;
import io.railyard.idempotency.Idempotency;
import io.railyard.partner.PartnerPrincipal;
import io.railyard.partner.Tenancy;
import io.railyard.transfer.TransferRequest;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;
import org.springframework.stereotype.Component;

/** Partner API: batches of up to 1,000 transfers, as JSON or CSV (body or multipart file). */
@Component
class BatchRoutes extends RouteBuilder {

    private static final List<String> ITEM_COLUMNS = List.of("index", "line", "status", "reference", "transfer_id",
            "amount", "currency", "rail", "rail_reference", "failure_code", "attempts");

    private final Batches batches;
    private final BatchValidator validator;
    private final BatchCsv csv;
    private final JsonBodies bodies;
    private final Idempotency idempotency;

    BatchRoutes(Batches batches, BatchValidator validator, BatchCsv csv, JsonBodies bodies, Idempotency idempotency) {
        this.batches = batches;
        this.validator = validator;
        this.csv = csv;
        this.bodies = bodies;
        this.idempotency = idempotency;
    }

    /** The JSON form: {"mode": "atomic" | "partial", "items": [transfer, ...]}. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record BatchRequest(String mode, List<TransferRequest> items) {
    }

    @Override
    public void configure() {
        rest("/transfers/batch").description("Partner: batches and mass payouts")
                .post().id("batch.api.create")
                    .description("Up to 1,000 transfers: JSON, text/csv or multipart file; ?mode=atomic|partial; "
                            + "Idempotency-Key required").to("direct:batch.api.create")
                .get("/template").id("batch.api.template").description("The batch CSV template")
                    .to("direct:batch.api.template")
                .get("/{batchId}").id("batch.api.get").description("Status, counts, totals and progress")
                    .to("direct:batch.api.get")
                .get("/{batchId}/items").id("batch.api.items")
                    .description("Items with their status; query: status, cursor, limit, format=csv")
                    .to("direct:batch.api.items")
                .post("/{batchId}/retry").id("batch.api.retry")
                    .description("Re-submit the failed items (Idempotency-Key required)").to("direct:batch.api.retry");

        from("direct:batch.api.create").routeId("batch.api.create.handle").routeConfigurationId("api-errors")
                .process(idempotency.required(this::create));
        from("direct:batch.api.template").routeId("batch.api.template.handle").routeConfigurationId("api-errors")
                .process(exchange -> text(exchange, "text/csv; charset=utf-8", BatchCsv.TEMPLATE));
        from("direct:batch.api.get").routeId("batch.api.get.handle").routeConfigurationId("api-errors")
                .process(exchange -> bodies.respond(exchange, 200, batches.summary(
                        Tenancy.partnerOf(exchange).partnerId(), ApiProblem.pathId(exchange, "batchId", "batch"))
                        .orElseThrow(() -> ApiProblem.notFound("batch " + ApiProblem.pathId(exchange, "batchId", "batch")))));
        from("direct:batch.api.items").routeId("batch.api.items.handle").routeConfigurationId("api-errors")
                .process(this::items);
        from("direct:batch.api.retry").routeId("batch.api.retry.handle").routeConfigurationId("api-errors")
                .process(idempotency.required(exchange -> bodies.respond(exchange, 200,
                        batches.retry(Tenancy.partnerOf(exchange).partnerId(), ApiProblem.pathId(exchange, "batchId", "batch")))));
    }

    private void create(Exchange exchange) throws Exception {
        PartnerPrincipal partner = Tenancy.partnerOf(exchange);
        String contentType = exchange.getIn().getHeader(Exchange.CONTENT_TYPE, "", String.class).toLowerCase();
        String mode = exchange.getIn().getHeader("mode", String.class);
        List<BatchItem> items;
        String source;
        if (contentType.startsWith("text/csv")) {
            items = csv.parse(exchange.getIn().getBody(byte[].class));
            source = "csv";
        } else if (contentType.startsWith("multipart/form-data")) {
            items = csv.parse(UploadedFile.read(exchange.getIn().getHeader(Exchange.CONTENT_TYPE, String.class),
                    exchange.getIn().getBody(byte[].class)));
            source = "csv";
        } else {
            BatchRequest request = bodies.read(exchange, BatchRequest.class);
            List<BatchItem> parsed = new ArrayList<>();
            List<TransferRequest> requests = request.items() == null ? List.of() : request.items();
            for (int i = 0; i < requests.size(); i++) {
                parsed.add(new BatchItem(i, null, requests.get(i)));
            }
            items = parsed;
            mode = mode != null ? mode : request.mode();
            source = "json";
        }
        mode = mode == null ? "atomic" : mode;
        if (!mode.equals("atomic") && !mode.equals("partial")) {
            throw ApiProblem.invalid("mode", "atomic (all or nothing, the default) or partial");
        }
        bodies.respond(exchange, 201, batches.create(partner.partnerId(), mode, source,
                validator.check(partner.partnerId(), items)));
    }

    private void items(Exchange exchange) throws IOException {
        UUID partnerId = Tenancy.partnerOf(exchange).partnerId();
        UUID batchId = ApiProblem.pathId(exchange, "batchId", "batch");
        batches.summary(partnerId, batchId).orElseThrow(() -> ApiProblem.notFound("batch " + batchId));
        String status = exchange.getIn().getHeader("status", String.class);
        int after = integer(exchange.getIn().getHeader("cursor", String.class), -1, "cursor");
        boolean asCsv = "csv".equals(exchange.getIn().getHeader("format", String.class));
        int limit = asCsv ? Integer.MAX_VALUE : integer(exchange.getIn().getHeader("limit", String.class), 100, "limit");
        if (limit < 1 || (!asCsv && limit > 1000)) {
            throw ApiProblem.badRequest("invalid_query", "limit is 1 to 1000", "limit");
        }
        List<Map<String, Object>> items = batches.items(batchId, status == null ? null : status.toUpperCase(), after,
                asCsv ? 100_000 : limit);
        if (asCsv) {
            StringBuilder out = new StringBuilder();
            try (CSVPrinter printer = new CSVPrinter(out, CSVFormat.DEFAULT.builder()
                    .setHeader(ITEM_COLUMNS.toArray(String[]::new)).build())) {
                for (Map<String, Object> item : items) {
                    printer.printRecord(ITEM_COLUMNS.stream().map(item::get).toList());
                }
            }
            text(exchange, "text/csv; charset=utf-8", out.toString());
            return;
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("data", items);
        body.put("next_cursor", items.size() == limit ? String.valueOf(items.get(items.size() - 1).get("index")) : null);
        bodies.respond(exchange, 200, body);
    }

    private static void text(Exchange exchange, String contentType, String body) {
        exchange.getMessage().removeHeaders("*");
        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, 200);
        exchange.getMessage().setHeader(Exchange.CONTENT_TYPE, contentType);
        exchange.getMessage().setBody(body);
    }

    private static int integer(String value, int fallback, String field) {
        try {
            return value == null ? fallback : Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new ApiProblem(Problem.of(400, "invalid_query", "Bad request", field + " is a number", field));
        }
    }
}
