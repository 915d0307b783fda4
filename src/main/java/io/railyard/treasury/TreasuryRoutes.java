package io.railyard.treasury;

import io.railyard.api.ApiProblem;
import io.railyard.api.JsonBodies;
import io.railyard.idempotency.Idempotency;
import io.railyard.ledger.CurrencyCode;
import io.railyard.partner.Tenancy;
import io.railyard.window.SettlementWindows;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.builder.RouteBuilder;
import org.springframework.stereotype.Component;

/** Ops API {@code /v1/treasury/*}: balances, coverage and alerts, exposure, velocity, rebalancing, history. */
@Component
class TreasuryRoutes extends RouteBuilder {

    private final Treasury treasury;
    private final FloatAlerts alerts;
    private final Rebalancing rebalancing;
    private final TreasuryReports reports;
    private final TreasurySnapshots snapshots;
    private final SettlementWindows windows;
    private final JsonBodies bodies;
    private final Idempotency idempotency;

    TreasuryRoutes(Treasury treasury, FloatAlerts alerts, Rebalancing rebalancing, TreasuryReports reports,
            TreasurySnapshots snapshots, SettlementWindows windows, JsonBodies bodies, Idempotency idempotency) {
        this.treasury = treasury;
        this.alerts = alerts;
        this.rebalancing = rebalancing;
        this.reports = reports;
        this.snapshots = snapshots;
        this.windows = windows;
        this.bodies = bodies;
        this.idempotency = idempotency;
    }

    record Accept(String reason) {
    }

    @Override
    public void configure() {
        rest("/treasury").description("Ops: treasury and liquidity")
                .get("/balances").id("treasury.api.balances")
                    .description("Float, in flight and queued per rail and currency; query at (RFC 3339) for a past instant")
                    .to("direct:treasury.api.balances")
                .get("/coverage").id("treasury.api.coverage")
                    .description("Coverage (float / projected outflows) per float, thresholds and alert state")
                    .to("direct:treasury.api.coverage")
                .get("/alerts").id("treasury.api.alerts").description("Alert state of every float")
                    .to("direct:treasury.api.alerts")
                .post("/alerts/evaluate").id("treasury.api.alerts-evaluate")
                    .description("Evaluate the float alerts now (as the snapshot schedule does); answers the changes")
                    .to("direct:treasury.api.alerts-evaluate")
                .get("/exposure").id("treasury.api.exposure")
                    .description("Exposure per currency in USD (rate table mid rates); query at (RFC 3339)")
                    .to("direct:treasury.api.exposure")
                .get("/velocity").id("treasury.api.velocity")
                    .description("Settled count and volume per rail per hour or day, accept-to-settle p50/p95; "
                            + "query bucket (hour, day), from, to")
                    .to("direct:treasury.api.velocity")
                .get("/rebalancing").id("treasury.api.rebalancing")
                    .description("Rebalancing recommendations: surplus → deficit, amount, FX cost")
                    .to("direct:treasury.api.rebalancing")
                .post("/rebalancing/{recommendationId}/accept").id("treasury.api.rebalancing-accept")
                    .description("Accept a recommendation (Idempotency-Key, {reason}): posts the funding move")
                    .to("direct:treasury.api.rebalancing-accept")
                .get("/rebalancing/accepted").id("treasury.api.rebalancing-accepted")
                    .description("Accepted rebalancing moves, newest first").to("direct:treasury.api.rebalancing-accepted")
                .get("/history").id("treasury.api.history")
                    .description("Snapshots per float; query rail, currency, from, to (default: the last 24 h)")
                    .to("direct:treasury.api.history");

        handle("balances", exchange -> {
            Instant at = instant(exchange, "at", null);
            bodies.respond(exchange, 200, listing(treasury.positions(at), at == null, this::balance));
        });
        handle("coverage", exchange -> {
            Map<String, FloatAlerts.Alert> state = new LinkedHashMap<>();
            alerts.alerts().forEach(a -> state.put(a.rail() + "/" + a.currency(), a));
            bodies.respond(exchange, 200, listing(treasury.positions(), true,
                    (p, now) -> coverage(p, state.get(p.rail() + "/" + p.currency()))));
        });
        handle("alerts", exchange -> bodies.respond(exchange, 200, Map.of("data",
                alerts.alerts().stream().map(TreasuryRoutes::alert).toList())));
        handle("alerts-evaluate", exchange -> bodies.respond(exchange, 200, Map.of("changes",
                alerts.evaluate().stream().map(c -> {
                    Map<String, Object> change = new LinkedHashMap<>();
                    change.put("rail", c.rail());
                    change.put("currency", c.currency());
                    change.put("state", c.state());
                    change.put("coverage", c.coverage() == null ? null : c.coverage().toPlainString());
                    return change;
                }).toList())));
        handle("exposure", exchange -> bodies.respond(exchange, 200, reports.exposure(instant(exchange, "at", null))));
        handle("velocity", exchange -> {
            String bucket = exchange.getIn().getHeader("bucket", "hour", String.class);
            if (!List.of("hour", "day").contains(bucket)) {
                throw ApiProblem.badRequest("invalid_query", "bucket is hour or day", "bucket");
            }
            Instant to = instant(exchange, "to", treasury.now());
            Instant from = instant(exchange, "from", to.minus(bucket.equals("hour") ? Duration.ofHours(24)
                    : Duration.ofDays(30)));
            range(from, to);
            bodies.respond(exchange, 200, reports.velocity(bucket, from, to));
        });
        handle("rebalancing", exchange -> {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("as_of", treasury.now().toString());
            body.put("data", rebalancing.recommendations().stream().map(Rebalancing.Recommendation::view).toList());
            bodies.respond(exchange, 200, body);
        });
        handle("rebalancing-accept", idempotency.required(exchange -> {
            String id = exchange.getIn().getHeader("recommendationId", String.class);
            String reason = bodies.read(exchange, Accept.class).reason();
            if (reason == null || reason.isBlank() || reason.length() > 500) {
                throw ApiProblem.invalid("reason", "accepting a move needs a reason (1 to 500 characters) for the "
                        + "audit trail");
            }
            bodies.respond(exchange, 201, rebalancing.accept(id, Tenancy.scopeOf(exchange), reason));
        }));
        handle("rebalancing-accepted", exchange -> bodies.respond(exchange, 200, Map.of("data",
                rebalancing.accepted(200))));
        handle("history", exchange -> {
            Instant to = instant(exchange, "to", treasury.now());
            Instant from = instant(exchange, "from", to.minus(Duration.ofHours(24)));
            range(from, to);
            String currency = exchange.getIn().getHeader("currency", String.class);
            CurrencyCode code = currency == null ? null : CurrencyCode.parse(currency).orElseThrow(() ->
                    ApiProblem.badRequest("invalid_query", "currency is one of USD, BRL, MXN, USDC", "currency"));
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("from", from.toString());
            body.put("to", to.toString());
            body.put("data", snapshots.history(exchange.getIn().getHeader("rail", String.class), code, from, to));
            bodies.respond(exchange, 200, body);
        });
    }

    private void handle(String step, Processor processor) {
        from("direct:treasury.api." + step).routeId("treasury.api." + step + ".handle")
                .routeConfigurationId("api-errors").process(processor);
    }

    private interface View {
        Map<String, Object> of(Treasury.Position position, boolean now);
    }

    private Map<String, Object> listing(List<Treasury.Position> positions, boolean now, View view) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("as_of", (positions.isEmpty() ? treasury.now() : positions.get(0).at()).toString());
        body.put("reporting_currency", Treasury.REPORTING.name());
        body.put("data", positions.stream().map(p -> view.of(p, now)).toList());
        return body;
    }

    /** A float as {@code /balances} shows it (in its currency; float also in USD). */
    Map<String, Object> balance(Treasury.Position p, boolean now) {
        CurrencyCode c = p.currency();
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("rail", p.rail());
        row.put("currency", c.name());
        row.put("float", c.fromMinor(p.floatMinor()).toPlainString());
        row.put("settlement_account_balance", c.fromMinor(p.settlementBalanceMinor()).toPlainString());
        row.put("in_flight", c.fromMinor(p.inFlightMinor()).toPlainString());
        row.put("in_flight_count", p.inFlightCount());
        row.put("queued", c.fromMinor(p.queuedMinor()).toPlainString());
        row.put("queued_count", p.queuedCount());
        row.put("float_usd", treasury.usd(c, p.floatMinor()).toPlainString());
        if (now) {
            SettlementWindows.State window = windows.now(p.rail(), c.name());
            row.put("window_open", window.open());
            row.put("next_window_opens_at", window.open() || window.nextOpen() == null ? null
                    : window.nextOpen().toString());
        }
        return row;
    }

    private static Map<String, Object> coverage(Treasury.Position p, FloatAlerts.Alert alert) {
        CurrencyCode c = p.currency();
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("rail", p.rail());
        row.put("currency", c.name());
        row.put("float", c.fromMinor(p.floatMinor()).toPlainString());
        row.put("in_flight", c.fromMinor(p.inFlightMinor()).toPlainString());
        row.put("queued", c.fromMinor(p.queuedMinor()).toPlainString());
        row.put("trailing_average", c.fromMinor(p.trailingMinor()).toPlainString());
        row.put("projected_outflows", c.fromMinor(p.projectedMinor()).toPlainString());
        row.put("coverage", p.coverage().map(BigDecimal::toPlainString).orElse(null));
        if (p.thresholds() != null) {
            row.put("thresholds", Map.of("low", p.thresholds().low().toPlainString(),
                    "recover", p.thresholds().recover().toPlainString(),
                    "target", p.thresholds().target().toPlainString()));
            row.put("status", p.belowLow() ? "LOW" : p.recovered() ? "OK" : "WATCH");
        }
        row.put("alert", alert == null ? "CLEAR" : alert.state());
        if (alert != null && alert.state().equals("RAISED")) {
            row.put("alert_raised_at", alert.raisedAt().toString());
        }
        return row;
    }

    static Map<String, Object> alert(FloatAlerts.Alert a) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("rail", a.rail());
        row.put("currency", a.currency());
        row.put("state", a.state());
        row.put("coverage", a.coverage() == null ? null : a.coverage().toPlainString());
        row.put("raised_at", a.raisedAt() == null ? null : a.raisedAt().toString());
        row.put("cleared_at", a.clearedAt() == null ? null : a.clearedAt().toString());
        row.put("transitions", a.transitions());
        row.put("evaluated_at", a.evaluatedAt().toString());
        return row;
    }

    private Instant instant(Exchange exchange, String name, Instant otherwise) {
        String value = exchange.getIn().getHeader(name, String.class);
        if (value == null) {
            return otherwise;
        }
        try {
            Instant at = OffsetDateTime.parse(value).toInstant();
            if (at.isAfter(treasury.now())) {
                throw ApiProblem.badRequest("invalid_query", name + " is in the future", name);
            }
            return at;
        } catch (DateTimeParseException e) {
            throw ApiProblem.badRequest("invalid_query", name + " is an RFC 3339 time such as 2026-01-31T12:00:00Z",
                    name);
        }
    }

    private static void range(Instant from, Instant to) {
        if (!from.isBefore(to)) {
            throw ApiProblem.badRequest("invalid_query", "from must be before to", "from");
        }
        if (Duration.between(from, to).compareTo(Duration.ofDays(366)) > 0) {
            throw ApiProblem.badRequest("invalid_query", "at most 366 days at once", "from");
        }
    }
}
