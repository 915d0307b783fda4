package io.railyard.treasury;

import static io.railyard.ops.Html.badge;
import static io.railyard.ops.Html.esc;
import static io.railyard.ops.Html.num;

import io.railyard.api.ApiProblem;
import io.railyard.ops.Html;
import io.railyard.ops.OpsConsole;
import jakarta.servlet.http.HttpServletRequest;
import java.math.BigDecimal;
import java.security.Principal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.context.annotation.Bean;
import org.springframework.http.ResponseEntity;
import org.springframework.stereotype.Controller;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;

/**
 * The treasury dashboard ({@code /ops/treasury}): balances, coverage with alert state, exposure, velocity and
 * rebalancing as server-rendered fragments refreshed by htmx; history charts (ECharts) drawn from
 * {@code /v1/treasury/history} by {@code /ops/assets/treasury.js}.
 */
@Controller
class TreasuryConsole {

    private static final String PATH = "/ops/treasury";

    private final OpsConsole console;
    private final Treasury treasury;
    private final FloatAlerts alerts;
    private final TreasuryReports reports;
    private final Rebalancing rebalancing;
    private final TreasuryRoutes views;

    TreasuryConsole(OpsConsole console, Treasury treasury, FloatAlerts alerts, TreasuryReports reports,
            Rebalancing rebalancing, TreasuryRoutes views) {
        this.console = console;
        this.treasury = treasury;
        this.alerts = alerts;
        this.reports = reports;
        this.rebalancing = rebalancing;
        this.views = views;
    }

    @Bean
    static OpsConsole.Page treasuryPage() {
        return new OpsConsole.Page(PATH, "Treasury", 10);
    }

    @GetMapping(PATH)
    ResponseEntity<String> page(HttpServletRequest request) {
        String main = """
                <p class="lede">Rail floats from the ledger, refreshed every 15 seconds. Amounts in each float's
                currency; USD at the rate table's mid rates.</p>
                %s
                %s
                <div class="grid">%s%s</div>
                %s
                <section aria-labelledby="history-title">
                  <h2 id="history-title">History (last 24 h)</h2>
                  <div class="charts">
                    <figure><div id="chart-float" class="chart" role="img"
                       aria-label="Float in USD per rail over the last 24 hours"></div>
                       <figcaption>Float per rail (USD)</figcaption></figure>
                    <figure><div id="chart-coverage" class="chart" role="img"
                       aria-label="Coverage per rail over the last 24 hours"></div>
                       <figcaption>Coverage per rail (float / projected outflows)</figcaption></figure>
                  </div>
                  <p id="history-status" class="muted" aria-live="polite"></p>
                </section>
                """.formatted(
                section("balances", "Balances", 15), section("coverage", "Coverage and alerts", 15),
                section("exposure", "Exposure (USD)", 30), section("velocity", "Settlement velocity (last 24 h)", 60),
                section("rebalancing", "Rebalancing", 30));
        return console.render(request, PATH, "Treasury", main, List.of(OpsConsole.ECHARTS, "/ops/assets/treasury.js"));
    }

    private static String section(String name, String title, int seconds) {
        return """
                <section aria-labelledby="%1$s-title">
                  <h2 id="%1$s-title">%2$s</h2>
                  <div id="%1$s" hx-get="%3$s/fragments/%1$s" hx-trigger="load, every %4$ds" aria-live="polite"
                       aria-busy="true"><p class="muted">Loading…</p></div>
                </section>""".formatted(name, esc(title), PATH, seconds);
    }

    @GetMapping(PATH + "/fragments/balances")
    ResponseEntity<String> balances() {
        List<List<String>> rows = new ArrayList<>();
        for (Treasury.Position p : treasury.positions()) {
            Map<String, Object> v = views.balance(p, true);
            rows.add(List.of(esc(p.rail()), esc(p.currency()), num(v.get("float")), num(v.get("float_usd")),
                    num(v.get("in_flight")) + " <span class=\"muted\">(" + esc(v.get("in_flight_count")) + ")</span>",
                    num(v.get("queued")) + " <span class=\"muted\">(" + esc(v.get("queued_count")) + ")</span>",
                    Boolean.TRUE.equals(v.get("window_open")) ? badge("open", "ok")
                            : badge("closed", "warn") + (v.get("next_window_opens_at") == null ? ""
                                    : " <span class=\"muted\">opens " + esc(v.get("next_window_opens_at"))
                                            + "</span>")));
        }
        return OpsConsole.html(Html.table("balances-table", "Rail floats as of " + treasury.now(),
                List.of("Rail", "Currency", "Float", "Float (USD)", "In flight (count)", "Queued (count)", "Window"),
                rows, "No rail float yet."));
    }

    @GetMapping(PATH + "/fragments/coverage")
    ResponseEntity<String> coverage() {
        Map<String, FloatAlerts.Alert> state = new LinkedHashMap<>();
        alerts.alerts().forEach(a -> state.put(a.rail() + "/" + a.currency(), a));
        List<List<String>> rows = new ArrayList<>();
        for (Treasury.Position p : treasury.positions()) {
            if (p.thresholds() == null) {
                continue;
            }
            FloatAlerts.Alert alert = state.get(p.rail() + "/" + p.currency());
            boolean raised = alert != null && alert.state().equals("RAISED");
            String status = p.belowLow() ? "LOW" : p.recovered() ? "OK" : "WATCH";
            rows.add(List.of(esc(p.rail()), esc(p.currency()),
                    num(p.coverage().map(BigDecimal::toPlainString).orElse("no outflows")),
                    num(p.currency().fromMinor(p.projectedMinor()).toPlainString()),
                    esc(p.thresholds().low() + " / " + p.thresholds().recover() + " / " + p.thresholds().target()),
                    badge(status, status.equals("OK") ? "ok" : status.equals("LOW") ? "bad" : "warn"),
                    raised ? badge("float low since " + alert.raisedAt(), "bad") : badge("clear", "ok")));
        }
        return OpsConsole.html(Html.table("coverage-table", "Coverage = float / (queued + in flight + trailing "
                + "average for the next " + treasury.table().projectionHorizon().toMinutes() + " min)",
                List.of("Rail", "Currency", "Coverage", "Projected outflows", "Low / recover / target", "Now",
                        "Alert"), rows, "No thresholds configured (config/treasury.yaml)."));
    }

    @GetMapping(PATH + "/fragments/exposure")
    ResponseEntity<String> exposure() {
        Map<String, Object> exposure = reports.exposure(null);
        List<List<String>> rows = new ArrayList<>();
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> data = (List<Map<String, Object>>) exposure.get("data");
        for (Map<String, Object> row : data) {
            rows.add(List.of(esc(row.get("currency")), num(row.get("float")), num(row.get("net")),
                    num(row.get("usd_rate")), num(row.get("float_usd")), num(row.get("outflows_usd")),
                    num(row.get("net_usd"))));
        }
        rows.add(List.of("<strong>Total</strong>", "", "", "", num(exposure.get("total_float_usd")),
                num(exposure.get("total_outflows_usd")), num(exposure.get("total_net_usd"))));
        return OpsConsole.html(Html.table("exposure-table", "Per currency, all rails", List.of("Currency", "Float",
                "Net", "USD rate", "Float (USD)", "Outflows (USD)", "Net (USD)"), rows, "No exposure."));
    }

    @GetMapping(PATH + "/fragments/velocity")
    ResponseEntity<String> velocity() {
        var to = treasury.now();
        Map<String, Object> velocity = reports.velocity("hour", to.minus(Duration.ofHours(24)), to);
        List<List<String>> rows = new ArrayList<>();
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> data = (List<Map<String, Object>>) velocity.get("data");
        for (Map<String, Object> row : data) {
            rows.add(List.of(esc(row.get("rail")), esc(row.get("currency")), num(row.get("count")),
                    num(row.get("volume")), num(row.get("volume_usd")), num(row.get("accept_to_settle_p50_seconds")),
                    num(row.get("accept_to_settle_p95_seconds"))));
        }
        return OpsConsole.html(Html.table("velocity-table", "Settled per rail (per-hour buckets: GET "
                + "/v1/treasury/velocity)", List.of("Rail", "Currency", "Settled", "Volume", "Volume (USD)",
                "Accept→settle p50 (s)", "p95 (s)"), rows, "Nothing settled in the last 24 hours."));
    }

    @GetMapping(PATH + "/fragments/rebalancing")
    ResponseEntity<String> rebalancingFragment() {
        return OpsConsole.html(rebalancingHtml(null));
    }

    @PostMapping(PATH + "/rebalancing/{id}/accept")
    ResponseEntity<String> accept(@PathVariable String id, @RequestParam(defaultValue = "") String reason,
            Principal user) {
        if (reason.isBlank() || reason.length() > 500) {
            return OpsConsole.html(rebalancingHtml("<p class=\"alert\" role=\"alert\">A reason (1 to 500 characters) "
                    + "is needed to accept a move.</p>"));
        }
        try {
            Map<String, Object> done = rebalancing.accept(id, "ops:" + user.getName(), reason);
            return OpsConsole.html(rebalancingHtml("<p class=\"notice\" role=\"status\">Accepted: " + esc(done.get("amount"))
                    + " " + esc(((Map<?, ?>) done.get("from")).get("currency")) + " to "
                    + esc(((Map<?, ?>) done.get("to")).get("rail")) + " (ledger entry "
                    + esc(done.get("ledger_entry_id")) + ").</p>"));
        } catch (ApiProblem e) {
            return OpsConsole.html(rebalancingHtml("<p class=\"alert\" role=\"alert\">" + esc(e.problem().detail())
                    + "</p>"));
        }
    }

    private String rebalancingHtml(String message) {
        List<List<String>> rows = new ArrayList<>();
        for (Rebalancing.Recommendation r : rebalancing.recommendations()) {
            String form = """
                    <form hx-post="%s/rebalancing/%s/accept" hx-target="#rebalancing" class="inline">
                      <label for="reason-%2$s">Reason</label>
                      <input id="reason-%2$s" name="reason" required maxlength="500">
                      <button type="submit">Accept</button>
                    </form>""".formatted(PATH, esc(r.id()));
            rows.add(List.of(esc(r.fromRail() == null ? "house (bank)" : r.fromRail()) + " "
                    + esc(r.fromCurrency()), esc(r.toRail()) + " " + esc(r.toCurrency()),
                    num(r.fromCurrency().fromMinor(r.fromMinor()).toPlainString()),
                    num(r.toCurrency().fromMinor(r.toMinor()).toPlainString()), num(r.fxCostUsd().toPlainString()),
                    esc(r.reason()), form));
        }
        List<List<String>> done = new ArrayList<>();
        for (Map<String, Object> a : rebalancing.accepted(10)) {
            Map<?, ?> from = (Map<?, ?>) a.get("from");
            Map<?, ?> to = (Map<?, ?>) a.get("to");
            done.add(List.of(esc(a.get("created_at")), esc(from.containsKey("rail") ? from.get("rail") : "house")
                    + " " + esc(from.get("currency")), esc(to.get("rail")) + " " + esc(to.get("currency")),
                    num(a.get("amount")), num(a.get("amount_received")), num(a.get("fx_cost_usd")),
                    esc(a.get("actor")), esc(a.get("reason"))));
        }
        return (message == null ? "" : message)
                + Html.table("rebalancing-table", "Recommended moves (deficits below low, brought to target)",
                        List.of("From", "To", "Amount", "Received", "FX cost (USD)", "Why", "Accept"), rows,
                        "No move needed: every float is at or above its low threshold.")
                + Html.table("rebalanced-table", "Accepted moves (latest 10)", List.of("When", "From", "To", "Amount",
                        "Received", "FX cost (USD)", "By", "Reason"), done, "None yet.");
    }
}
