package io.railyard.transfer;

import io.railyard.api.ApiProblem;
import io.railyard.api.JsonBodies;
import io.railyard.api.Keyset;
import io.railyard.idempotency.Idempotency;
import io.railyard.partner.PartnerPrincipal;
import io.railyard.partner.Tenancy;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.springframework.stereotype.Component;

/** Partner API: send, read, list and cancel transfers. */
@Component
class TransferRoutes extends RouteBuilder {

    private final Transfers transfers;
    private final TransferValidator validator;
    private final JsonBodies bodies;
    private final Idempotency idempotency;

    TransferRoutes(Transfers transfers, TransferValidator validator, JsonBodies bodies, Idempotency idempotency) {
        this.transfers = transfers;
        this.validator = validator;
        this.bodies = bodies;
        this.idempotency = idempotency;
    }

    @Override
    public void configure() {
        rest("/transfers").description("Partner: transfers")
                .post().id("transfer.api.create")
                    .description("Send money (Idempotency-Key required); 201 with the ACCEPTED transfer")
                    .to("direct:transfer.api.create")
                .get().id("transfer.api.list")
                    .description("List transfers, newest first; query: status, rail, created_after, limit, cursor")
                    .to("direct:transfer.api.list")
                .get("/{transferId}").id("transfer.api.get").description("One transfer with its status history")
                    .to("direct:transfer.api.get")
                .post("/{transferId}/cancel").id("transfer.api.cancel")
                    .description("Cancel before submission to a rail; the hold is released")
                    .to("direct:transfer.api.cancel");

        from("direct:transfer.api.create").routeId("transfer.api.create.handle").routeConfigurationId("api-errors")
                .process(idempotency.required(this::create));
        from("direct:transfer.api.list").routeId("transfer.api.list.handle").routeConfigurationId("api-errors")
                .process(this::list);
        from("direct:transfer.api.get").routeId("transfer.api.get.handle").routeConfigurationId("api-errors")
                .process(this::get);
        from("direct:transfer.api.cancel").routeId("transfer.api.cancel.handle").routeConfigurationId("api-errors")
                .process(idempotency.optional(this::cancel));
    }

    private void create(Exchange exchange) {
        PartnerPrincipal partner = Tenancy.partnerOf(exchange);
        TransferValidator.Valid valid = validator.validate(bodies.read(exchange, TransferRequest.class));
        bodies.respond(exchange, 201, TransferViews.of(transfers.accept(partner.partnerId(), valid)));
    }

    private void get(Exchange exchange) {
        PartnerPrincipal partner = Tenancy.partnerOf(exchange);
        UUID id = ApiProblem.pathId(exchange, "transferId", "transfer");
        Transfer transfer = transfers.findForPartner(partner.partnerId(), id)
                .orElseThrow(() -> ApiProblem.notFound("transfer " + id));
        Map<String, Object> view = new LinkedHashMap<>(TransferViews.of(transfer));
        view.put("history", transfers.transitions(id));
        bodies.respond(exchange, 200, view);
    }

    private void list(Exchange exchange) {
        PartnerPrincipal partner = Tenancy.partnerOf(exchange);
        String status = exchange.getIn().getHeader("status", String.class);
        String createdAfter = exchange.getIn().getHeader("created_after", String.class);
        Transfers.ListFilter filter = new Transfers.ListFilter(status(status),
                exchange.getIn().getHeader("rail", String.class), instant(createdAfter));
        int limit = Keyset.limit(exchange.getIn().getHeader("limit", String.class));
        Keyset.Page<Transfer> page = transfers.list(partner.partnerId(), filter, limit,
                exchange.getIn().getHeader("cursor", String.class));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("data", page.data().stream().map(TransferViews::of).toList());
        body.put("next_cursor", page.nextCursor());
        bodies.respond(exchange, 200, body);
    }

    private void cancel(Exchange exchange) {
        PartnerPrincipal partner = Tenancy.partnerOf(exchange);
        bodies.respond(exchange, 200, TransferViews.of(transfers.cancel(partner.partnerId(), ApiProblem.pathId(exchange, "transferId", "transfer"))));
    }

    private static TransferStatus status(String value) {
        if (value == null) {
            return null;
        }
        try {
            return TransferStatus.valueOf(value.toUpperCase());
        } catch (IllegalArgumentException e) {
            throw ApiProblem.badRequest("invalid_query", "status is one of " + java.util.Arrays.toString(
                    TransferStatus.values()), "status");
        }
    }

    private static Instant instant(String value) {
        try {
            return value == null ? null : Instant.parse(value);
        } catch (DateTimeParseException e) {
            throw ApiProblem.badRequest("invalid_query", "created_after is an RFC 3339 UTC time", "created_after");
        }
    }
}
