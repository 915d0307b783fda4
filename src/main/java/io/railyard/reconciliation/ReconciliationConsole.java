package io.railyard.reconciliation;

import static io.railyard.ops.Html.badge;
import static io.railyard.ops.Html.esc;
import static io.railyard.ops.Html.num;

import io.railyard.api.ApiProblem;
import io.railyard.api.Keyset;
import io.railyard.api.Problem;
import io.railyard.ledger.AccountKind;
import io.railyard.ledger.CurrencyCode;
import io.railyard.ops.Html;
import io.railyard.ops.OpsConsole;
import jakarta.servlet.http.HttpServletRequest;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.security.Principal;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.springframework.context.annotation.Bean;
import org.springframework.http.ResponseEntity;
import org.springframework.stereotype.Controller;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;

/**
 * The reconciliation dashboard ({@code /ops/reconciliation}): runs with their match rate and totals, a form to run one
 * now, the discrepancy queue with its filters, and a discrepancy's detail with the manual workflow (assign, comment,
 * resolve, reopen) and its audit trail. Every action goes through the services behind {@code /v1/reconciliation/*}
 * ({@link ReconciliationEngine#runOnDemand}, {@link Discrepancies#act}) with the signed-in user as the actor
 * ({@code ops:<name>}), so it is checked and audited exactly as through the API. The CSV links are the API's own
 * exports, downloaded with the console's session.
 */
@Controller
class ReconciliationConsole {

    private static final String PATH = "/ops/reconciliation";
    /** Sent with every change: the runs and the queue refresh at once (their hx-trigger listens for it). */
    private static final String CHANGED = "recon-changed";
    private static final int QUEUE_SIZE = 50;

    private final OpsConsole console;
    private final ReconciliationEngine engine;
    private final Discrepancies discrepancies;
    private final ReconStatement statements;

    ReconciliationConsole(OpsConsole console, ReconciliationEngine engine, Discrepancies discrepancies,
            ReconStatement statements) {
        this.console = console;
        this.engine = engine;
        this.discrepancies = discrepancies;
        this.statements = statements;
    }

    @Bean
    static OpsConsole.Page reconciliationPage() {
        return new OpsConsole.Page(PATH, "Reconciliation", 20);
    }

    /**
     * The page: {@code state}, {@code type}, {@code rail}, {@code run_id} preset the queue; {@code discrepancy} opens
     * one.
     */
    @GetMapping(PATH)
    ResponseEntity<String> page(HttpServletRequest request, @RequestParam Map<String, String> query) {
        String state = query.getOrDefault("state", "OPEN");
        String opened = query.get("discrepancy");
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        Map<String, String> yesterday = Map.of("from", today.minusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant()
                .toString(), "to", today.atStartOfDay(ZoneOffset.UTC).toInstant().toString());
        String main = """
                <p class="lede">Each rail's statement matched against the ledger: runs (daily, and on demand here),
                the discrepancies they raised, and their manual workflow. Runs and queue refresh every 15 seconds.</p>
                <section aria-labelledby="run-now-title">
                  <h2 id="run-now-title">Run now</h2>
                  <div id="run-now">%s</div>
                </section>
                <section aria-labelledby="runs-title">
                  <h2 id="runs-title">Runs</h2>
                  <div id="runs" hx-get="%2$s/fragments/runs" hx-trigger="load, every 15s, %3$s from:body"
                       aria-live="polite" aria-busy="true"><p class="muted">Loading…</p></div>
                </section>
                <section aria-labelledby="queue-title">
                  <h2 id="queue-title">Discrepancy queue</h2>
                  <form id="queue-filter" class="inline" method="get" action="%2$s"
                        hx-get="%2$s/fragments/discrepancies" hx-target="#discrepancies" hx-trigger="change, submit">
                    %4$s
                    <label for="filter-run">Run id</label>
                    <input id="filter-run" name="run_id" value="%5$s" size="36" placeholder="any run">
                    <button type="submit">Filter</button>
                  </form>
                  <p><a href="/v1/reconciliation/audit?format=csv&amp;since=%6$s" download>Audit trail of the last 30
                     days (CSV)</a></p>
                  <div id="discrepancies" hx-get="%2$s/fragments/discrepancies" hx-include="#queue-filter"
                       hx-trigger="load, every 15s, %3$s from:body" aria-live="polite" aria-busy="true">
                    <p class="muted">Loading…</p></div>
                </section>
                <section aria-labelledby="detail-title">
                  <h2 id="detail-title">Discrepancy</h2>
                  <div id="discrepancy-detail" aria-live="polite"%7$s><p class="muted">Open a discrepancy from the
                    queue to work it.</p></div>
                </section>
                """.formatted(runForm(yesterday, null, null), PATH, CHANGED,
                select("filter-state", "state", "Status", List.of("OPEN", "RESOLVED"), state, "any status")
                        + select("filter-type", "type", "Type", Discrepancies.TYPES, query.get("type"), "any type")
                        + select("filter-rail", "rail", "Rail", statements.rails(), query.get("rail"), "any rail"),
                esc(query.getOrDefault("run_id", "")), Instant.now().minus(Duration.ofDays(30)),
                opened == null ? "" : " hx-get=\"" + PATH + "/fragments/discrepancies/" + esc(opened)
                        + "\" hx-trigger=\"load\"");
        return console.render(request, PATH, "Reconciliation", main, List.of());
    }

    // --- runs -----------------------------------------------------------------------------------------------------

    @PostMapping(PATH + "/runs")
    ResponseEntity<String> runNow(@RequestParam Map<String, String> form, Principal user) {
        try {
            Map<String, Object> run = engine.runOnDemand(blankToNull(form.get("rail")), instant(form, "from"),
                    instant(form, "to"), "true".equals(form.get("dry_run")), actor(user));
            return changed(runForm(form, "<p class=\"notice\" role=\"status\" id=\"run-outcome\">Run <code>"
                    + esc(run.get("id")) + "</code> of " + esc(run.get("rail")) + " " + esc(run.get("status"))
                    .toLowerCase() + " in " + esc(duration(run.get("duration_ms"))) + ": match rate "
                    + esc(matchRate(run.get("match_rate"))) + ", " + esc(run.get("discrepancies"))
                    + " discrepancies (" + esc(run.get("new_discrepancies")) + " new)"
                    + (Boolean.TRUE.equals(run.get("dry_run")) ? ", dry run: only its report is kept" : "")
                    + ".</p>", null));
        } catch (ApiProblem problem) {
            return OpsConsole.html(runForm(form, alert(problem.problem(), "run-outcome"), problem.problem().field()));
        } catch (RuntimeException failure) {
            // the engine recorded the run as FAILED with this error (e.g. the rail's statement could not be read)
            return changed(runForm(form, "<div class=\"alert\" role=\"alert\" id=\"run-outcome\">The run failed: "
                    + esc(failure.getMessage()) + ". It is listed below with its error.</div>", null));
        }
    }

    private String runForm(Map<String, String> values, String outcome, String fault) {
        return """
                <form id="run-form" class="inline" hx-post="%s/runs" hx-target="#run-now" hx-disabled-elt="find button">
                  %s
                  <label for="run-from">From (UTC, RFC 3339)</label>
                  <input id="run-from" name="from" value="%s" required size="24"%s>
                  <label for="run-to">To</label>
                  <input id="run-to" name="to" value="%s" required size="24"%s>
                  <input id="run-dry" name="dry_run" type="checkbox" value="true"%s>
                  <label for="run-dry">Dry run (keep only the report)</label>
                  <button type="submit">Run now</button>
                </form>
                <p class="muted">A period of at most 31 days; the rail's statement is read through its connector, so a
                run may take a while. Audited with your name, as through the API.</p>
                %s""".formatted(PATH, select("run-rail", "rail", "Rail", statements.rails(), values.get("rail"), null),
                esc(values.getOrDefault("from", "")), runFault("from", fault), esc(values.getOrDefault("to", "")),
                runFault("to", fault),
                "true".equals(values.get("dry_run")) ? " checked" : "", outcome == null ? "" : outcome);
    }

    private static String runFault(String field, String fault) {
        return field.equals(fault) ? " aria-invalid=\"true\" aria-describedby=\"run-outcome\"" : "";
    }

    @GetMapping(PATH + "/fragments/runs")
    ResponseEntity<String> runs() {
        List<List<String>> rows = engine.runs(null, null, 20).data().stream().map(ReconciliationConsole::runRow)
                .toList();
        return OpsConsole.html("<div class=\"scroll\" tabindex=\"0\" role=\"region\" aria-labelledby=\"runs-title\">"
                + Html.table("runs-table", "Latest 20 runs, newest first "
                + "(match rate: matched transfers and lines over all of them in the period)", List.of("Run", "Rail",
                "Period", "Started / finished", "Duration", "Status", "Match rate", "Matched transfers / lines",
                "Totals per currency", "Discrepancies", "Export"), rows, "No run yet.") + "</div>");
    }

    private static List<String> runRow(Map<String, Object> run) {
        String id = String.valueOf(run.get("id"));
        boolean dry = Boolean.TRUE.equals(run.get("dry_run"));
        String kept = dry ? badge("dry run", "info") : badge("stored", "ok");
        List<String> when = List.of("<code title=\"" + esc(id) + "\">" + esc(id.substring(0, 8)) + "</code>",
                esc(run.get("rail")), esc(run.get("from")) + " →<br>" + esc(run.get("to")), startedFinished(run),
                num(duration(run.get("duration_ms"))));
        List<String> outcome;
        if ("COMPLETED".equals(run.get("status"))) {
            String found = num(run.get("discrepancies")) + " <span class=\"muted\">("
                    + esc(run.get("new_discrepancies")) + " new)</span>";
            outcome = List.of(badge("completed", "ok") + "<br>" + kept, num(matchRate(run.get("match_rate"))),
                    num(run.get("matched_transfers") + " / " + run.get("ledger_transfers")) + "<br>"
                            + num(run.get("matched_lines") + " / " + run.get("statement_lines")),
                    totals(run.get("report")),
                    dry ? found : found + "<br><a href=\"" + PATH + "?state=&amp;run_id=" + esc(id)
                            + "#queue-title\">Show</a>",
                    dry ? "<span class=\"muted\">report only</span>"
                            : "<a href=\"/v1/reconciliation/runs/" + esc(id) + "/export\" download>CSV</a>");
        } else {
            outcome = List.of(badge(String.valueOf(run.get("status")).toLowerCase(), "bad") + "<br>" + kept
                    + (run.get("error") == null ? "" : "<br><span class=\"muted\">" + esc(run.get("error"))
                            + "</span>"), "—", "—", "—", "—", "<span class=\"muted\">none</span>");
        }
        List<String> row = new ArrayList<>(when);
        row.addAll(outcome);
        return row;
    }

    /** A run is recorded when it ends: it started its duration before. */
    private static String startedFinished(Map<String, Object> run) {
        if (run.get("finished_at") == null || run.get("duration_ms") == null) {
            return esc(run.get("created_at"));
        }
        Instant finished = Instant.parse((String) run.get("finished_at"));
        return esc(finished.minusMillis(((Number) run.get("duration_ms")).longValue())) + "<br>" + esc(finished);
    }

    /** The report's totals per currency: ledger and statement sums (counts), and what of them matched. */
    private static String totals(Object report) {
        if (!(report instanceof Map<?, ?> r) || !(r.get("currencies") instanceof Map<?, ?> currencies)) {
            return "—";
        }
        StringBuilder html = new StringBuilder();
        currencies.forEach((currency, value) -> {
            Map<?, ?> t = (Map<?, ?>) value;
            html.append("<div><strong>").append(esc(currency)).append("</strong> ledger ")
                    .append(esc(amount(currency, t.get("ledger_total_minor")))).append(" (")
                    .append(esc(t.get("ledger_count"))).append("), statement ")
                    .append(esc(amount(currency, t.get("statement_total_minor")))).append(" (")
                    .append(esc(t.get("statement_count"))).append(");<br>matched ")
                    .append(esc(amount(currency, t.get("matched_ledger_total_minor")))).append(" / ")
                    .append(esc(amount(currency, t.get("matched_statement_total_minor")))).append("</div>");
        });
        return html.isEmpty() ? "—" : html.toString();
    }

    private static String amount(Object currency, Object minor) {
        long value = ((Number) minor).longValue();
        return CurrencyCode.parse(String.valueOf(currency)).map(c -> c.fromMinor(value).toPlainString())
                .orElse(String.valueOf(value));
    }

    /** A match rate as a percentage, rounded down: 99.999 % is never shown as 100 %. */
    static String matchRate(Object rate) {
        return rate == null ? "—" : new BigDecimal(rate.toString()).movePointRight(2).setScale(2, RoundingMode.FLOOR)
                .toPlainString() + " %";
    }

    private static String duration(Object millis) {
        if (millis == null) {
            return "—";
        }
        long ms = ((Number) millis).longValue();
        return ms < 1000 ? ms + " ms" : BigDecimal.valueOf(ms, 3).setScale(1, RoundingMode.HALF_UP) + " s";
    }

    // --- queue ----------------------------------------------------------------------------------------------------

    @GetMapping(PATH + "/fragments/discrepancies")
    ResponseEntity<String> queue(@RequestParam Map<String, String> query) {
        Keyset.Page<Map<String, Object>> page;
        try {
            page = discrepancies.list(new Discrepancies.Filter(blankToNull(query.get("rail")),
                    blankToNull(query.get("type")), blankToNull(query.get("state")), null, uuid(query, "run_id"), null),
                    null, QUEUE_SIZE);
        } catch (ApiProblem problem) {
            return OpsConsole.html(alert(problem.problem(), null));
        }
        List<List<String>> rows = new ArrayList<>();
        for (Map<String, Object> d : page.data()) {
            rows.add(List.of(esc(d.get("created_at")), esc(d.get("rail")), "<code>" + esc(d.get("type")) + "</code>",
                    amounts(d), references(d), d.get("assignee") == null ? "<span class=\"muted\">nobody</span>"
                            : esc(d.get("assignee")), state(d),
                    "<button type=\"button\" hx-get=\"" + PATH + "/fragments/discrepancies/" + esc(d.get("id"))
                            + "\" hx-target=\"#discrepancy-detail\" hx-swap=\"innerHTML show:top\">Open</button>"));
        }
        return OpsConsole.html(Html.table("discrepancies-table", (page.nextCursor() == null ? "" : "The newest "
                + QUEUE_SIZE + " (narrow the filter to see older ones); ") + "newest first", List.of("Raised", "Rail",
                "Type", "Ledger / rail amount", "References", "Assignee", "Status", "Work"), rows,
                "No discrepancy matches this filter."));
    }

    private static String amounts(Map<String, Object> d) {
        return num((d.get("ledger_amount") == null ? "—" : d.get("ledger_amount")) + " / "
                + (d.get("rail_amount") == null ? "—" : d.get("rail_amount"))) + " " + esc(d.get("currency"));
    }

    private static String references(Map<String, Object> d) {
        List<String> parts = new ArrayList<>();
        if (d.get("transfer_id") != null) {
            parts.add("transfer <code>" + esc(d.get("transfer_id")) + "</code>");
        }
        if (d.get("rail_reference") != null) {
            parts.add("rail <code>" + esc(d.get("rail_reference")) + "</code>");
        }
        return parts.isEmpty() ? "—" : String.join("<br>", parts);
    }

    private static String state(Map<String, Object> d) {
        return "OPEN".equals(d.get("state")) ? badge("open", "warn")
                : badge("resolved", "ok") + " <span class=\"muted\">" + esc(d.get("resolution")) + "</span>";
    }

    // --- one discrepancy and its workflow --------------------------------------------------------------------------

    @GetMapping(PATH + "/fragments/discrepancies/{id}")
    ResponseEntity<String> detail(@PathVariable String id, Principal user) {
        return OpsConsole.html(detailHtml(discrepancies.get(uuid(id)), user, Sent.NOTHING, null));
    }

    /** One workflow action from the detail's forms, applied by {@link Discrepancies#act} as the signed-in user. */
    @PostMapping(PATH + "/discrepancies/{id}/actions")
    ResponseEntity<String> act(@PathVariable String id, @RequestParam Map<String, String> form, Principal user) {
        UUID discrepancy = uuid(id);
        try {
            String amount = blankToNull(form.get("adjustment_amount"));
            Map<String, Object> after = discrepancies.act(discrepancy, actor(user), new Discrepancies.Action(
                    form.get("action"), form.get("assignee"), form.get("comment"), blankToNull(form.get("resolution")),
                    form.get("reason"), amount == null ? null : new Discrepancies.Adjustment(amount,
                            form.get("adjustment_currency"), form.get("counter_account")), lineId(form)));
            return changed(detailHtml(after, user, Sent.NOTHING, "<p class=\"notice\" role=\"status\" "
                    + "id=\"action-outcome\">" + esc(done(form.get("action"), after)) + "</p>"));
        } catch (ApiProblem problem) {
            // the engine refused: nothing changed; the form comes back as it was sent, with the problem
            return OpsConsole.html(detailHtml(discrepancies.get(discrepancy), user,
                    new Sent(form, problem.problem().field()), alert(problem.problem(), "action-outcome")));
        }
    }

    private static String done(String action, Map<String, Object> after) {
        return switch (action) {
            case "assign" -> "Assigned to " + after.get("assignee") + ".";
            case "comment" -> "Comment added.";
            case "resolve" -> "Resolved: " + after.get("resolution") + (after.get("resolution_entry_id") == null ? ""
                    : " (ledger entry " + after.get("resolution_entry_id") + ")") + ".";
            default -> "Reopened.";
        };
    }

    private String detailHtml(Map<String, Object> d, Principal user, Sent sent, String outcome) {
        String id = String.valueOf(d.get("id"));
        String act = PATH + "/discrepancies/" + esc(id) + "/actions";
        boolean open = "OPEN".equals(d.get("state"));
        StringBuilder html = new StringBuilder();
        html.append("<h3 id=\"discrepancy-title\"><code>").append(esc(d.get("type"))).append("</code> on ")
                .append(esc(d.get("rail"))).append(" · ").append(state(d)).append("</h3>")
                .append("<p>").append(esc(d.get("detail"))).append("</p>")
                .append(outcome == null ? "" : outcome)
                .append("<dl class=\"facts\">");
        fact(html, "Discrepancy", "<code>" + esc(id) + "</code> · <a href=\"" + PATH + "?discrepancy=" + esc(id)
                + "\">link</a>");
        fact(html, "Transfer", d.get("transfer_id") == null ? "—" : "<code>" + esc(d.get("transfer_id")) + "</code>");
        fact(html, "Partner", d.get("partner_id") == null ? "—" : "<code>" + esc(d.get("partner_id")) + "</code>");
        fact(html, "Rail reference", d.get("rail_reference") == null ? "—" : "<code>" + esc(d.get("rail_reference"))
                + "</code>");
        fact(html, "Statement line", d.get("line_id") == null ? "—" : num(d.get("line_id")));
        fact(html, "Ledger / rail amount", amounts(d));
        fact(html, "Ledger / rail status", esc(d.get("ledger_status") == null ? "—" : d.get("ledger_status")) + " / "
                + esc(d.get("rail_status") == null ? "—" : d.get("rail_status")));
        fact(html, "Raised", esc(d.get("created_at")) + " by run <code>" + esc(d.get("run_id"))
                + "</code>; last found by <code>" + esc(d.get("last_run_id")) + "</code> (<a href=\""
                + "/v1/reconciliation/runs/" + esc(d.get("last_run_id")) + "/export\" download>CSV</a>)");
        fact(html, "Assignee", d.get("assignee") == null ? "nobody" : esc(d.get("assignee")));
        if (!open) {
            fact(html, "Resolution", "<code>" + esc(d.get("resolution")) + "</code> by " + esc(d.get("resolved_by"))
                    + " at " + esc(d.get("resolved_at")) + ": " + esc(d.get("resolution_reason"))
                    + (d.get("resolution_entry_id") == null ? "" : "; ledger entry <code>"
                            + esc(d.get("resolution_entry_id")) + "</code>")
                    + (d.get("rematch_line_id") == null ? "" : "; statement line " + esc(d.get("rematch_line_id"))));
        }
        html.append("</dl>");
        html.append(assignForms(act, user, sent))
                .append(textForm(act, sent, "comment", "Comment", "comment", "comment",
                        "Comment (kept in the audit trail)", 4000, "Add comment"))
                .append(open ? resolveForm(act, d, sent) : textForm(act, sent, "reopen", "Reopen", "reopen-reason",
                        "reason", "Reason", 2000, "Reopen"))
                .append(auditHtml(d));
        return html.toString();
    }

    private static void fact(StringBuilder html, String term, String value) {
        html.append("<dt>").append(esc(term)).append("</dt><dd>").append(value).append("</dd>");
    }

    private static String assignForms(String act, Principal user, Sent sent) {
        return """
                <h4>Assign</h4>
                <form id="assign-me-form" class="inline" hx-post="%1$s" hx-target="#discrepancy-detail"
                      hx-disabled-elt="find button">
                  <input type="hidden" name="action" value="assign"><input type="hidden" name="assignee" value="%2$s">
                  <button type="submit">Assign to me (%2$s)</button>
                </form>
                <form id="assign-form" class="inline" hx-post="%1$s" hx-target="#discrepancy-detail"
                      hx-disabled-elt="find button">
                  <input type="hidden" name="action" value="assign">
                  <label for="assignee">Assign to</label>
                  <input id="assignee" name="assignee" maxlength="200" value="%3$s" %4$s>
                  <button type="submit">Assign</button>
                </form>""".formatted(act, esc(user.getName()), esc(sent.kept("assign", "assignee")),
                sent.invalid("assign", "assignee"));
    }

    /** A workflow form of one text: the comment, or the reason to reopen. */
    private static String textForm(String act, Sent sent, String action, String heading, String id, String field,
            String label, int max, String button) {
        return """
                <h4>%2$s</h4>
                <form id="%3$s-form" class="stack" hx-post="%1$s" hx-target="#discrepancy-detail"
                      hx-disabled-elt="find button">
                  <input type="hidden" name="action" value="%3$s">
                  <label for="%4$s">%5$s</label>
                  <textarea id="%4$s" name="%6$s" rows="2" maxlength="%7$d" %8$s>%9$s</textarea>
                  <button type="submit">%10$s</button>
                </form>""".formatted(act, esc(heading), action, id, esc(label), field, max,
                sent.invalid(action, field), esc(sent.kept(action, field)), esc(button));
    }

    private String resolveForm(String act, Map<String, Object> d, Sent sent) {
        String currency = "resolve".equals(sent.values().get("action")) ? sent.kept("resolve", "adjustment_currency")
                : (String) d.get("currency");
        String difference = d.get("ledger_amount") == null || d.get("rail_amount") == null || currency == null ? ""
                : " Rail − ledger: " + new BigDecimal((String) d.get("rail_amount")).subtract(
                        new BigDecimal((String) d.get("ledger_amount"))).toPlainString() + " " + currency + ".";
        StringBuilder lines = new StringBuilder();
        if (d.get("transfer_id") != null) {
            for (Map<String, Object> line : discrepancies.list(new Discrepancies.Filter((String) d.get("rail"),
                    "missing_in_ledger", "OPEN", null, null, null), null, 10).data()) {
                lines.append("<li>line ").append(num(line.get("line_id"))).append(": ").append(amounts(line))
                        .append(", rail <code>").append(esc(line.get("rail_reference"))).append("</code></li>");
            }
        }
        return """
                <h4>Resolve</h4>
                <form id="resolve-form" class="stack" hx-post="%1$s" hx-target="#discrepancy-detail"
                      hx-disabled-elt="find button">
                  <input type="hidden" name="action" value="resolve">
                  <label for="resolution">Resolution</label>
                  <select id="resolution" name="resolution" %2$s>%3$s</select>
                  <label for="reason">Reason</label>
                  <textarea id="reason" name="reason" rows="2" maxlength="2000" %4$s>%5$s</textarea>
                  <fieldset>
                    <legend>Ledger adjustment (for <code>ledger_adjustment</code>)</legend>
                    <p class="muted">A signed amount added to the rail's settlement account, against a house account;
                    posted through the ledger, balanced.%6$s</p>
                    <label for="adjustment-amount">Amount</label>
                    <input id="adjustment-amount" name="adjustment_amount" value="%7$s" inputmode="decimal" %8$s>
                    %9$s
                    %10$s
                  </fieldset>
                  <fieldset>
                    <legend>Rematch (for <code>rematch</code>)</legend>
                    <label for="line-id">Statement line id</label>
                    <input id="line-id" name="line_id" value="%11$s" inputmode="numeric" %12$s>
                    %13$s
                  </fieldset>
                  <button type="submit">Resolve</button>
                </form>""".formatted(act, sent.invalid("resolve", "resolution"),
                options(Discrepancies.RESOLUTIONS, sent.kept("resolve", "resolution"), "Choose a resolution…"),
                sent.invalid("resolve", "reason"), esc(sent.kept("resolve", "reason")), esc(difference),
                esc(sent.kept("resolve", "adjustment_amount")), sent.invalid("resolve", "adjustment.amount"),
                select("adjustment-currency", "adjustment_currency", "Currency",
                        Stream.of(CurrencyCode.values()).map(Enum::name).toList(), currency, null),
                select("counter-account", "counter_account", "Against",
                        Discrepancies.COUNTER_ACCOUNTS.stream().map(AccountKind::name).toList(),
                        sent.kept("resolve", "counter_account"), null),
                esc(sent.kept("resolve", "line_id")), sent.invalid("resolve", "line_id"),
                lines.isEmpty() ? "" : "<p class=\"muted\">Open <code>missing_in_ledger</code> lines on this rail:</p>"
                        + "<ul>" + lines + "</ul>");
    }

    private String auditHtml(Map<String, Object> d) {
        List<List<String>> rows = new ArrayList<>();
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> trail = (List<Map<String, Object>>) d.get("audit");
        for (Map<String, Object> entry : trail) {
            StringBuilder what = new StringBuilder();
            describe("", entry.get("details"), what);
            rows.add(List.of(esc(entry.get("at")), esc(entry.get("actor")), "<code>" + esc(entry.get("action"))
                    + "</code>", "<div class=\"what\">" + what + "</div>"));
        }
        return "<h4>Audit trail</h4>" + Html.table("audit-table", "Every action on this discrepancy, oldest first "
                + "(append-only)", List.of("When", "Who", "Action", "What"), rows, "No entry.")
                + "<p><a href=\"/v1/reconciliation/audit?format=csv&amp;since=" + esc(d.get("created_at"))
                + "\" download>Audit trail since this discrepancy was raised, every discrepancy (CSV)</a></p>";
    }

    /** An audit entry's details as "key: value" lines (nested values as dotted keys), every value escaped. */
    private static void describe(String prefix, Object value, StringBuilder out) {
        if (value instanceof Map<?, ?> map) {
            map.forEach((key, nested) -> describe(prefix.isEmpty() ? String.valueOf(key) : prefix + "." + key, nested,
                    out));
        } else if (value != null && !(value instanceof List<?> list && list.isEmpty())) {
            out.append("<span class=\"muted\">").append(esc(prefix)).append(":</span> ").append(esc(value))
                    .append("<br>");
        }
    }

    /**
     * What the user sent in a workflow form and the field a refusal named: a refused action comes back with its input
     * kept and the faulty control marked.
     */
    private record Sent(Map<String, String> values, String fault) {
        static final Sent NOTHING = new Sent(Map.of(), null);

        String kept(String action, String field) {
            return action.equals(values.get("action")) ? values.getOrDefault(field, "") : "";
        }

        String invalid(String action, String field) {
            return action.equals(values.get("action")) && field.equals(fault)
                    ? "aria-invalid=\"true\" aria-describedby=\"action-outcome\"" : "";
        }
    }

    // --- shared pieces --------------------------------------------------------------------------------------------

    private static String select(String id, String name, String label, List<String> values, String selected,
            String any) {
        return "<label for=\"" + id + "\">" + esc(label) + "</label><select id=\"" + id + "\" name=\"" + name + "\">"
                + options(values, selected, any) + "</select>";
    }

    private static String options(List<String> values, String selected, String any) {
        StringBuilder html = new StringBuilder();
        if (any != null) {
            html.append("<option value=\"\">").append(esc(any)).append("</option>");
        }
        values.forEach(v -> html.append("<option value=\"").append(esc(v)).append('"')
                .append(v.equals(selected) ? " selected" : "").append('>').append(esc(v)).append("</option>"));
        return html.toString();
    }

    /** A problem from the engine as the console shows it: what, which field, its stable code. */
    private static String alert(Problem problem, String id) {
        return "<div class=\"alert\" role=\"alert\"" + (id == null ? "" : " id=\"" + id + "\"") + "><strong>"
                + esc(problem.title()) + "</strong>" + (problem.field() == null ? "" : " (" + esc(problem.field())
                + ")") + ": " + esc(problem.detail()) + " <span class=\"muted\">[" + problem.status() + " "
                + esc(problem.code()) + "]</span></div>";
    }

    private static ResponseEntity<String> changed(String body) {
        ResponseEntity<String> html = OpsConsole.html(body);
        return ResponseEntity.ok().headers(html.getHeaders()).header("HX-Trigger", CHANGED).body(html.getBody());
    }

    private static String actor(Principal user) {
        return "ops:" + user.getName();
    }

    private static Instant instant(Map<String, String> form, String field) {
        String value = blankToNull(form.get(field));
        try {
            return value == null ? null : Instant.parse(value);
        } catch (DateTimeParseException e) {
            throw ApiProblem.invalid(field, "an RFC 3339 time, e.g. 2026-11-25T00:00:00Z");
        }
    }

    private static Long lineId(Map<String, String> form) {
        String value = blankToNull(form.get("line_id"));
        try {
            return value == null ? null : Long.valueOf(value);
        } catch (NumberFormatException e) {
            throw ApiProblem.invalid("line_id", "a statement line id (a whole number)");
        }
    }

    private static UUID uuid(Map<String, String> query, String name) {
        String value = blankToNull(query.get(name));
        try {
            return value == null ? null : UUID.fromString(value);
        } catch (IllegalArgumentException e) {
            throw ApiProblem.badRequest("invalid_query", name + " is a UUID", name);
        }
    }

    private static UUID uuid(String id) {
        try {
            return UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            throw ApiProblem.notFound("discrepancy " + id);
        }
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value.trim();
    }
}
