package io.railyard.reconciliation;

import io.railyard.api.ApiProblem;
import io.railyard.api.JsonBodies;
import io.railyard.api.Keyset;
import io.railyard.idempotency.Idempotency;
import io.railyard.partner.Tenancy;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.dataformat.csv.CsvDataFormat;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * {@code /v1/reconciliation/*} (ops only, see SecurityConfig): runs on demand and their reports, discrepancies and
 * their workflow, CSV exports (camel-csv) of a run's matches and discrepancies and of the audit trail.
 */
@Component
class ReconciliationRoutes extends RouteBuilder {

    private static final List<String> RUN_COLUMNS = List.of("kind", "group", "rule", "type", "state", "transfer_id",
            "line_no", "rail_reference", "currency", "ledger_amount_minor", "rail_amount_minor", "ledger_status",
            "rail_status", "clean", "detail");
    private static final List<String> AUDIT_COLUMNS = List.of("id", "at", "discrepancy_id", "actor", "action",
            "details");

    private final ReconciliationEngine engine;
    private final Discrepancies discrepancies;
    private final JsonBodies bodies;
    private final Idempotency idempotency;
    private final JdbcClient jdbc;
    private final com.fasterxml.jackson.databind.ObjectMapper json;

    ReconciliationRoutes(ReconciliationEngine engine, Discrepancies discrepancies, JsonBodies bodies,
            Idempotency idempotency, JdbcClient jdbc, com.fasterxml.jackson.databind.ObjectMapper json) {
        this.json = json;
        this.engine = engine;
        this.discrepancies = discrepancies;
        this.bodies = bodies;
        this.idempotency = idempotency;
        this.jdbc = jdbc;
    }

    record RunBody(String rail, Instant from, Instant to, Boolean dryRun) {
    }

    @Override
    public void configure() {
        rest("/reconciliation").description("Ops: reconciliation of the rails' statements against the ledger")
                .post("/runs").id("recon.api.run-create")
                    .description("Run now: {rail, from, to, dry_run}; answers the run's report")
                    .to("direct:recon.api.run-create")
                .get("/runs").id("recon.api.run-list").description("Runs, newest first; query: rail, limit, cursor")
                    .to("direct:recon.api.run-list")
                .get("/runs/{runId}").id("recon.api.run-get").description("One run and its report")
                    .to("direct:recon.api.run-get")
                .get("/runs/{runId}/export").id("recon.api.run-export")
                    .description("CSV of the run's matches and discrepancies").to("direct:recon.api.run-export")
                .get("/discrepancies").id("recon.api.discrepancy-list")
                    .description("Discrepancies, newest first; query: rail, type, state, assignee, run_id, "
                            + "transfer_id, limit, cursor")
                    .to("direct:recon.api.discrepancy-list")
                .get("/discrepancies/{discrepancyId}").id("recon.api.discrepancy-get")
                    .description("One discrepancy with its audit trail").to("direct:recon.api.discrepancy-get")
                .post("/discrepancies/{discrepancyId}/actions").id("recon.api.discrepancy-act")
                    .description("assign, comment, resolve (ledger_adjustment, rail_error, write_off, rematch), reopen")
                    .to("direct:recon.api.discrepancy-act")
                .get("/audit").id("recon.api.audit")
                    .description("The audit trail of the workflow; query: since, limit, format=csv")
                    .to("direct:recon.api.audit");

        handle("run-create", idempotency.optional(this::create));
        handle("run-list", this::runs);
        handle("run-get", exchange -> bodies.respond(exchange, 200, run(exchange)));
        handle("discrepancy-list", this::discrepancyList);
        handle("discrepancy-get", exchange -> bodies.respond(exchange, 200,
                discrepancies.get(ApiProblem.pathId(exchange, "discrepancyId", "discrepancy"))));
        handle("discrepancy-act", idempotency.optional(exchange -> bodies.respond(exchange, 200,
                discrepancies.act(ApiProblem.pathId(exchange, "discrepancyId", "discrepancy"),
                        Tenancy.scopeOf(exchange), bodies.read(exchange, Discrepancies.Action.class)))));

        CsvDataFormat csv = new CsvDataFormat();
        from("direct:recon.api.run-export").routeId("recon.api.run-export.handle").routeConfigurationId("api-errors")
                .process(this::runRows).marshal(csv).process(ReconciliationRoutes::csvResponse);
        from("direct:recon.api.audit").routeId("recon.api.audit.handle").routeConfigurationId("api-errors")
                .process(this::audit)
                .filter(exchangeProperty("reconCsv"))
                    .marshal(csv).process(ReconciliationRoutes::csvResponse)
                .end();
    }

    private void handle(String step, Processor processor) {
        from("direct:recon.api." + step).routeId("recon.api." + step + ".handle").routeConfigurationId("api-errors")
                .process(processor);
    }

    private void create(Exchange exchange) {
        RunBody body = bodies.read(exchange, RunBody.class);
        bodies.respond(exchange, 201, engine.runOnDemand(body.rail(), body.from(), body.to(),
                Boolean.TRUE.equals(body.dryRun()), Tenancy.scopeOf(exchange)));
    }

    private Map<String, Object> run(Exchange exchange) {
        UUID id = ApiProblem.pathId(exchange, "runId", "reconciliation run");
        Map<String, Object> run = engine.runView(id);
        if (run == null) {
            throw ApiProblem.notFound("reconciliation run " + id);
        }
        return run;
    }

    private void runs(Exchange exchange) {
        respond(exchange, engine.runs(exchange.getIn().getHeader("rail", String.class),
                exchange.getIn().getHeader("cursor", String.class),
                Keyset.limit(exchange.getIn().getHeader("limit", String.class))));
    }

    private void discrepancyList(Exchange exchange) {
        int limit = Keyset.limit(exchange.getIn().getHeader("limit", String.class));
        respond(exchange, discrepancies.list(new Discrepancies.Filter(exchange.getIn().getHeader("rail", String.class),
                exchange.getIn().getHeader("type", String.class), exchange.getIn().getHeader("state", String.class),
                exchange.getIn().getHeader("assignee", String.class), uuid(exchange, "run_id"),
                uuid(exchange, "transfer_id")), exchange.getIn().getHeader("cursor", String.class), limit));
    }

    private void respond(Exchange exchange, Keyset.Page<Map<String, Object>> page) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("data", page.data());
        body.put("next_cursor", page.nextCursor());
        bodies.respond(exchange, 200, body);
    }

    /** The run's matches then its discrepancies (those it raised or found again), as CSV rows. */
    private void runRows(Exchange exchange) {
        Map<String, Object> run = run(exchange);
        if (Boolean.TRUE.equals(run.get("dry_run"))) {
            throw ApiProblem.conflict("dry_run", "a dry run keeps only its report: nothing to export");
        }
        UUID id = (UUID) run.get("id");
        List<List<String>> rows = new ArrayList<>();
        rows.add(RUN_COLUMNS);
        jdbc.sql("""
                select m.group_no, m.rule, m.transfer_id, m.line_no, l.rail_reference, l.currency,
                       t.destination_amount_minor, l.amount_minor, t.status, l.rail_status, m.clean
                from reconciliation_matches m
                left join reconciliation_statement_lines l on l.run_id = m.run_id and l.line_no = m.line_no
                left join transfers t on t.id = m.transfer_id
                where m.run_id = ? order by m.group_no, m.line_no""").param(id).query((org.springframework.jdbc.core.RowCallbackHandler) rs -> {
                    rows.add(safe(List.of("match", rs.getString("group_no"), rs.getString("rule"), "", "",
                            text(rs.getObject("transfer_id")), rs.getString("line_no"),
                            text(rs.getString("rail_reference")), text(rs.getString("currency")),
                            text(rs.getObject("destination_amount_minor")), text(rs.getObject("amount_minor")),
                            text(rs.getString("status")), text(rs.getString("rail_status")),
                            String.valueOf(rs.getBoolean("clean")), "")));
                });
        jdbc.sql("""
                select d.*, l.line_no from reconciliation_discrepancies d
                left join reconciliation_statement_lines l on l.id = d.line_id
                where d.run_id = ? or d.last_run_id = ? order by d.created_at, d.id""").params(id, id).query((org.springframework.jdbc.core.RowCallbackHandler) rs -> {
                    rows.add(safe(List.of("discrepancy", "", "", rs.getString("type"), rs.getString("state"),
                            text(rs.getObject("transfer_id")), text(rs.getObject("line_no")),
                            text(rs.getString("rail_reference")), text(rs.getString("currency")),
                            text(rs.getObject("ledger_amount_minor")), text(rs.getObject("rail_amount_minor")),
                            text(rs.getString("ledger_status")), text(rs.getString("rail_status")), "false",
                            rs.getString("detail"))));
                });
        exchange.getMessage().setHeader("reconFilename", "reconciliation-" + id + ".csv");
        exchange.getMessage().setBody(rows);
    }

    private void audit(Exchange exchange) {
        String sinceText = exchange.getIn().getHeader("since", String.class);
        Instant since;
        try {
            since = sinceText == null ? Instant.EPOCH : Instant.parse(sinceText);
        } catch (DateTimeParseException e) {
            throw ApiProblem.badRequest("invalid_query", "since is an RFC 3339 time", "since");
        }
        boolean asCsv = "csv".equals(exchange.getIn().getHeader("format", String.class));
        int limit = asCsv ? 100_000 : Keyset.limit(exchange.getIn().getHeader("limit", String.class));
        List<Map<String, Object>> trail = discrepancies.auditTrail(since, limit);
        if (!asCsv) {
            bodies.respond(exchange, 200, Map.of("data", trail));
            return;
        }
        List<List<String>> rows = new ArrayList<>();
        rows.add(AUDIT_COLUMNS);
        for (Map<String, Object> entry : trail) {
            rows.add(safe(AUDIT_COLUMNS.stream().map(c -> c.equals("details") ? json(entry.get(c))
                    : text(entry.get(c))).toList()));
        }
        exchange.setProperty("reconCsv", true);
        exchange.getMessage().setHeader("reconFilename", "reconciliation-audit.csv");
        exchange.getMessage().setBody(rows);
    }

    private String json(Object value) {
        try {
            return json.writeValueAsString(value);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void csvResponse(Exchange exchange) {
        String filename = exchange.getMessage().getHeader("reconFilename", String.class);
        Object body = exchange.getMessage().getBody();
        exchange.getMessage().removeHeaders("*");
        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, 200);
        exchange.getMessage().setHeader(Exchange.CONTENT_TYPE, "text/csv; charset=utf-8");
        exchange.getMessage().setHeader("Content-Disposition", "attachment; filename=\"" + filename + "\"");
        exchange.getMessage().setBody(body);
    }

    /**
     * CSV formula injection: a cell a spreadsheet would evaluate (starting with =, +, -, @, tab or carriage return) is
     * prefixed with a single quote, so it is shown as text.
     */
    static List<String> safe(List<String> cells) {
        return cells.stream().map(ReconciliationRoutes::safeCell).toList();
    }

    static String safeCell(String cell) {
        if (cell != null && !cell.isEmpty() && "=+-@\t\r".indexOf(cell.charAt(0)) >= 0) {
            return "'" + cell;
        }
        return cell == null ? "" : cell;
    }

    private static String text(Object value) {
        return value == null ? "" : value.toString();
    }

    private static UUID uuid(Exchange exchange, String name) {
        String value = exchange.getIn().getHeader(name, String.class);
        try {
            return value == null ? null : UUID.fromString(value);
        } catch (IllegalArgumentException e) {
            throw ApiProblem.badRequest("invalid_query", name + " is a UUID", name);
        }
    }
}
