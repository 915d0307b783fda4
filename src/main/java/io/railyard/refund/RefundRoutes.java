package io.railyard.refund;

import io.railyard.api.ApiProblem;
import io.railyard.api.JsonBodies;
import io.railyard.idempotency.Idempotency;
import io.railyard.partner.PartnerPrincipal;
import io.railyard.partner.Tenancy;
import io.railyard.transfer.Transfer;
import io.railyard.transfer.TransferStatus;
import io.railyard.transfer.Transfers;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.springframework.stereotype.Component;

/** Partner API: refund a settled transfer, list a transfer's refunds and returns, read one. */
@Component
class RefundRoutes extends RouteBuilder {

    private final Refunds refunds;
    private final Transfers transfers;
    private final JsonBodies bodies;
    private final Idempotency idempotency;

    RefundRoutes(Refunds refunds, Transfers transfers, JsonBodies bodies, Idempotency idempotency) {
        this.refunds = refunds;
        this.transfers = transfers;
        this.bodies = bodies;
        this.idempotency = idempotency;
    }

    @Override
    public void configure() {
        rest("/transfers/{transferId}/refunds").description("Partner: refunds of a transfer")
                .post().id("refund.api.create")
                    .description("Refund a SETTLED transfer, fully or partly (Idempotency-Key required); body "
                            + "{amount?, reason?}, no amount = all that remains refundable; 201 with the PENDING refund")
                    .to("direct:refund.api.create")
                .get().id("refund.api.list")
                    .description("The transfer's refunds and rail-initiated returns, oldest first, with the amounts "
                            + "refunded, pending and still refundable")
                    .to("direct:refund.api.list");
        rest("/refunds").description("Partner: refunds")
                .get("/{refundId}").id("refund.api.get").description("One refund or return")
                    .to("direct:refund.api.get");

        from("direct:refund.api.create").routeId("refund.api.create.handle").routeConfigurationId("api-errors")
                .process(idempotency.required(this::create));
        from("direct:refund.api.list").routeId("refund.api.list.handle").routeConfigurationId("api-errors")
                .process(this::list);
        from("direct:refund.api.get").routeId("refund.api.get.handle").routeConfigurationId("api-errors")
                .process(this::get);
    }

    private void create(Exchange exchange) {
        PartnerPrincipal partner = Tenancy.partnerOf(exchange);
        UUID transferId = ApiProblem.pathId(exchange, "transferId", "transfer");
        String body = exchange.getIn().getBody(String.class);
        RefundRequest request = body == null || body.isBlank() ? new RefundRequest(null, null)
                : bodies.read(exchange, RefundRequest.class);
        bodies.respond(exchange, 201, RefundViews.of(refunds.request(partner.partnerId(), transferId,
                request.amount(), request.reason())));
    }

    private void list(Exchange exchange) {
        PartnerPrincipal partner = Tenancy.partnerOf(exchange);
        UUID transferId = ApiProblem.pathId(exchange, "transferId", "transfer");
        Transfer transfer = transfers.findForPartner(partner.partnerId(), transferId)
                .orElseThrow(() -> ApiProblem.notFound("transfer " + transferId));
        List<Refund> all = refunds.ofTransfer(transferId);
        long succeeded = all.stream().filter(r -> r.status() == RefundStatus.SUCCEEDED)
                .mapToLong(Refund::amountMinor).sum();
        long reserved = refunds.refundedMinor(transferId);
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("transfer_id", transferId.toString());
        view.put("currency", transfer.sourceCurrency().name());
        view.put("amount", transfer.sourceCurrency().fromMinor(transfer.sourceAmountMinor()).toPlainString());
        view.put("refunded_amount", transfer.sourceCurrency().fromMinor(succeeded).toPlainString());
        view.put("pending_amount", transfer.sourceCurrency().fromMinor(reserved - succeeded).toPlainString());
        view.put("refundable_amount", transfer.sourceCurrency().fromMinor(transfer.status() == TransferStatus.SETTLED
                ? transfer.sourceAmountMinor() - reserved : 0).toPlainString());
        view.put("data", all.stream().map(RefundViews::of).toList());
        bodies.respond(exchange, 200, view);
    }

    private void get(Exchange exchange) {
        PartnerPrincipal partner = Tenancy.partnerOf(exchange);
        UUID id = ApiProblem.pathId(exchange, "refundId", "refund");
        bodies.respond(exchange, 200, RefundViews.of(refunds.findForPartner(partner.partnerId(), id)
                .orElseThrow(() -> ApiProblem.notFound("refund " + id))));
    }
}
