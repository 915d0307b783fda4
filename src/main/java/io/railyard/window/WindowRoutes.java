package io.railyard.window;

import io.railyard.api.ApiProblem;
import io.railyard.api.JsonBodies;
import io.railyard.ledger.CurrencyCode;
import io.railyard.ops.OpsAudit;
import io.railyard.partner.Tenancy;
import io.railyard.routing.TransferRouter;
import io.railyard.transfer.TransferStatus;
import io.railyard.transfer.Transfers;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Settlement windows: what partners may read (state and next opening per rail), and the ops emergency override
 * (open or close a rail ad hoc, release a queued transfer or a rail's whole queue now), every override audited with
 * its reason.
 */
@Component
class WindowRoutes extends RouteBuilder {

    private final SettlementWindows windows;
    private final TransferRouter router;
    private final Transfers transfers;
    private final OpsAudit audit;
    private final JsonBodies bodies;
    private final JdbcClient jdbc;
    private final TransactionTemplate tx;

    WindowRoutes(SettlementWindows windows, TransferRouter router, Transfers transfers, OpsAudit audit,
            JsonBodies bodies, JdbcClient jdbc, TransactionTemplate tx) {
        this.windows = windows;
        this.router = router;
        this.transfers = transfers;
        this.audit = audit;
        this.bodies = bodies;
        this.jdbc = jdbc;
        this.tx = tx;
    }

    record OverrideRequest(String state, String currency, Instant until, String reason) {
    }

    record Release(String reason) {
    }

    @Override
    public void configure() {
        rest("/settlement-windows").description("Settlement windows, cut-offs and business days per rail")
                .get().id("window.api.list").description("Every rail's window state now").to("direct:window.api.list")
                .get("/{rail}/next").id("window.api.next")
                    .description("Next opening and cut-off, whether today is a business day and why not; ?currency=")
                    .to("direct:window.api.next");
        rest("/ops/settlement-windows").description("Ops: emergency overrides (audited)")
                .post("/{rail}/override").id("window.ops.override")
                    .description("Open or close a rail window ad hoc: {state: OPEN|CLOSED|CLEARED, until, reason}")
                    .to("direct:window.ops.override")
                .post("/{rail}/release").id("window.ops.release-rail")
                    .description("Release the rail's whole queue now: {reason}").to("direct:window.ops.release-rail")
                .get("/audit").id("window.ops.audit").description("The override audit trail")
                    .to("direct:window.ops.audit");
        rest("/ops/transfers").description("Ops: transfers")
                .post("/{transferId}/release").id("window.ops.release-transfer")
                    .description("Release one queued transfer now: {reason}").to("direct:window.ops.release-transfer");

        from("direct:window.api.list").routeId("window.api.list.handle").routeConfigurationId("api-errors")
                .process(exchange -> bodies.respond(exchange, 200, Map.of("data",
                        windows.rails().stream().map(rail -> view(windows.now(rail, null))).toList())));
        from("direct:window.api.next").routeId("window.api.next.handle").routeConfigurationId("api-errors")
                .process(exchange -> bodies.respond(exchange, 200, view(windows.now(rail(exchange),
                        exchange.getIn().getHeader("currency", String.class)))));
        from("direct:window.ops.override").routeId("window.ops.override.handle").routeConfigurationId("api-errors")
                .process(this::override);
        from("direct:window.ops.release-rail").routeId("window.ops.release-rail.handle")
                .routeConfigurationId("api-errors").process(this::releaseRail);
        from("direct:window.ops.release-transfer").routeId("window.ops.release-transfer.handle")
                .routeConfigurationId("api-errors").process(this::releaseTransfer);
        from("direct:window.ops.audit").routeId("window.ops.audit.handle").routeConfigurationId("api-errors")
                .process(exchange -> bodies.respond(exchange, 200, Map.of("data", audit.trail("", 200))));
    }

    private void override(Exchange exchange) {
        String rail = rail(exchange);
        OverrideRequest request = bodies.read(exchange, OverrideRequest.class);
        if (request.state() == null || !List.of("OPEN", "CLOSED", "CLEARED").contains(request.state())) {
            throw ApiProblem.invalid("state", "OPEN, CLOSED or CLEARED");
        }
        if (request.currency() != null && CurrencyCode.parse(request.currency()).isEmpty()) {
            throw ApiProblem.invalid("currency", "one of USD, BRL, MXN, USDC, or absent for the whole rail");
        }
        String reason = reason(request.reason());
        if (request.until() != null && !request.until().isAfter(windows.now())) {
            throw ApiProblem.invalid("until", "a time in the future");
        }
        String actor = Tenancy.scopeOf(exchange);
        tx.executeWithoutResult(status -> {
            jdbc.sql("""
                    insert into window_overrides (rail, currency, state, until, reason, actor) values (?, ?, ?, ?, ?, ?)""")
                    .params(rail, request.currency(), request.state(),
                            request.until() == null ? null : Timestamp.from(request.until()), reason, actor).update();
            Map<String, Object> details = new LinkedHashMap<>();
            details.put("state", request.state());
            details.put("currency", request.currency());
            details.put("until", request.until() == null ? null : request.until().toString());
            audit.record(actor, "window.override", "rail:" + rail, reason, details);
            // the rail's queue is looked at again at once under the new window
            jdbc.sql("update transfers set release_at = clock_timestamp() where status = 'QUEUED' and rail = ?")
                    .param(rail).update();
        });
        bodies.respond(exchange, 200, view(windows.now(rail, request.currency())));
    }

    private void releaseRail(Exchange exchange) {
        String rail = rail(exchange);
        String reason = reason(bodies.read(exchange, Release.class).reason());
        String actor = Tenancy.scopeOf(exchange);
        List<UUID> released = tx.execute(status -> {
            List<UUID> queued = jdbc.sql("""
                    select id from transfers where status = 'QUEUED' and rail = ? order by release_at, created_at
                    for update skip locked""").param(rail).query(UUID.class).list();
            queued.forEach(id -> router.release(id, "released by ops: " + reason));
            audit.record(actor, "window.release-rail", "rail:" + rail, reason, Map.of("transfers", queued.size()));
            return queued;
        });
        bodies.respond(exchange, 200, Map.of("rail", rail, "released", released.size()));
    }

    private void releaseTransfer(Exchange exchange) {
        UUID id = ApiProblem.pathId(exchange, "transferId", "transfer");
        String reason = reason(bodies.read(exchange, Release.class).reason());
        String actor = Tenancy.scopeOf(exchange);
        Object released = tx.execute(status -> {
            var transfer = transfers.find(id).orElseThrow(() -> ApiProblem.notFound("transfer " + id));
            if (transfer.status() != TransferStatus.QUEUED) {
                throw ApiProblem.conflict("not_queued", "transfer " + id + " is " + transfer.status()
                        + ", only a QUEUED transfer can be released");
            }
            audit.record(actor, "window.release-transfer", "transfer:" + id, reason, Map.of("rail", transfer.rail()));
            return io.railyard.transfer.TransferViews.of(router.release(id, "released by ops: " + reason));
        });
        bodies.respond(exchange, 200, released);
    }

    private Map<String, Object> view(SettlementWindows.State state) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("rail", state.rail());
        if (state.currency() != null) {
            view.put("currency", state.currency());
        }
        view.put("open", state.open());
        view.put("zone", state.zone());
        view.put("next_open", state.nextOpen() == null ? null : state.nextOpen().toString());
        view.put("next_cutoff", state.nextCutoff() == null ? null : state.nextCutoff().toString());
        view.put("business_day", state.businessDay());
        view.put("closed_because", state.closedBecause());
        view.put("booking_date", state.bookingDate() == null ? null : state.bookingDate().toString());
        view.put("override", state.override());
        return view;
    }

    private String rail(Exchange exchange) {
        String rail = exchange.getIn().getHeader("rail", String.class);
        if (!windows.knows(rail)) {
            throw ApiProblem.notFound("rail " + rail);
        }
        return rail;
    }

    private static String reason(String reason) {
        if (reason == null || reason.isBlank() || reason.length() > 500) {
            throw ApiProblem.invalid("reason", "an override needs a reason (1 to 500 characters) for the audit trail");
        }
        return reason;
    }
}
