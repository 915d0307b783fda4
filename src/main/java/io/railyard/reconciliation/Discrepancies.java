package io.railyard.reconciliation;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.railyard.api.ApiProblem;
import io.railyard.api.Keyset;
import io.railyard.ledger.AccountKey;
import io.railyard.ledger.AccountKind;
import io.railyard.ledger.CurrencyCode;
import io.railyard.ledger.EntryRequest;
import io.railyard.ledger.Ledger;
import io.railyard.ledger.LedgerException;
import io.railyard.ledger.Posted;
import java.math.BigDecimal;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;

/**
 * Discrepancies and their manual workflow (ops): assign, comment, resolve (ledger adjustment through the ledger, rail
 * error, write-off, rematch to a statement line), reopen. Every action is appended to {@code reconciliation_audit}
 * (append-only: the database refuses UPDATE and DELETE) in the transaction of the change it records.
 */
@Component
public class Discrepancies {

    static final List<String> TYPES = List.of("missing_at_rail", "missing_in_ledger", "amount_mismatch",
            "currency_mismatch", "status_mismatch", "duplicate_at_rail", "late_return");
    static final List<String> STATES = List.of("OPEN", "RESOLVED");
    static final List<String> RESOLUTIONS = List.of("ledger_adjustment", "rail_error", "write_off", "rematch");
    static final List<AccountKind> COUNTER_ACCOUNTS = List.of(AccountKind.FUNDING, AccountKind.FEES,
            AccountKind.FX_CLEARING);

    private final JdbcClient jdbc;
    private final Ledger ledger;
    private final ObjectMapper json;

    public Discrepancies(JdbcClient jdbc, Ledger ledger, ObjectMapper json) {
        this.jdbc = jdbc;
        this.ledger = ledger;
        this.json = json;
    }

    /** An ops action on a discrepancy (POST .../actions). */
    public record Action(String action, String assignee, String comment, String resolution, String reason,
            Adjustment adjustment, Long lineId) {
    }

    /**
     * A correcting entry: {@code amount} (signed decimal) added to the rail's settlement account in {@code currency},
     * against the house's {@code counterAccount} (FUNDING by default, FEES or FX_CLEARING).
     */
    public record Adjustment(String amount, String currency, String counterAccount) {
    }

    /** Filters of the list; null = any. An unknown type or state is a 400 naming it. */
    public record Filter(String rail, String type, String state, String assignee, UUID runId, UUID transferId) {
        public Filter {
            if (type != null && !TYPES.contains(type)) {
                throw ApiProblem.badRequest("invalid_query", "type is one of " + String.join(", ", TYPES), "type");
            }
            if (state != null && !STATES.contains(state)) {
                throw ApiProblem.badRequest("invalid_query", "state is OPEN or RESOLVED", "state");
            }
        }
    }

    public Keyset.Page<Map<String, Object>> list(Filter filter, String cursor, int limit) {
        StringBuilder sql = new StringBuilder("select * from reconciliation_discrepancies where true");
        List<Object> params = new ArrayList<>();
        condition(sql, params, "rail", filter.rail());
        condition(sql, params, "type", filter.type());
        condition(sql, params, "state", filter.state());
        condition(sql, params, "assignee", filter.assignee());
        if (filter.runId() != null) {
            sql.append(" and (run_id = ? or last_run_id = ?)");
            params.add(filter.runId());
            params.add(filter.runId());
        }
        condition(sql, params, "transfer_id", filter.transferId());
        Keyset.appendPage(sql, params, cursor, limit);
        List<Map<String, Object>> rows = jdbc.sql(sql.toString()).params(params).query(this::row).list();
        return Keyset.page(rows, limit, r -> Instant.parse((String) r.get("created_at")), r -> (UUID) r.get("id"));
    }

    private static void condition(StringBuilder sql, List<Object> params, String column, Object value) {
        if (value != null) {
            sql.append(" and ").append(column).append(" = ?");
            params.add(value);
        }
    }

    public Map<String, Object> get(UUID id) {
        Map<String, Object> view = jdbc.sql("select * from reconciliation_discrepancies where id = ?").param(id)
                .query(this::row).optional().orElseThrow(() -> ApiProblem.notFound("discrepancy " + id));
        view.put("audit", audit(id));
        return view;
    }

    List<Map<String, Object>> views(List<UUID> ids) {
        return jdbc.sql("select * from reconciliation_discrepancies where id = any(?) order by created_at, id")
                .param(ids.toArray(UUID[]::new)).query(this::row).list();
    }

    /** Applies one action, audited with its actor; answers the discrepancy as it is after it. */
    @Transactional
    public Map<String, Object> act(UUID id, String actor, Action action) {
        Map<String, Object> current = jdbc.sql("select * from reconciliation_discrepancies where id = ? for update")
                .param(id).query(this::row).optional().orElseThrow(() -> ApiProblem.notFound("discrepancy " + id));
        String verb = action.action() == null ? null : action.action().trim();
        if (verb == null || !List.of("assign", "comment", "resolve", "reopen").contains(verb)) {
            throw ApiProblem.invalid("action", "one of assign, comment, resolve, reopen");
        }
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("actor", actor); // for resolved_by; the trail keeps the actor in its own column
        switch (verb) {
            case "assign" -> {
                String assignee = required(action.assignee(), "assignee", 200);
                jdbc.sql("update reconciliation_discrepancies set assignee = ?, updated_at = clock_timestamp() "
                        + "where id = ?").params(assignee, id).update();
                details.put("from", current.get("assignee"));
                details.put("to", assignee);
            }
            case "comment" -> details.put("comment", required(action.comment(), "comment", 4000));
            case "resolve" -> resolve(id, current, action, details);
            case "reopen" -> {
                if (!"RESOLVED".equals(current.get("state"))) {
                    throw ApiProblem.conflict("discrepancy_open", "discrepancy " + id + " is not resolved");
                }
                details.put("reason", required(action.reason(), "reason", 2000));
                details.put("previous_resolution", current.get("resolution"));
                jdbc.sql("""
                        update reconciliation_discrepancies set state = 'OPEN', resolution = null,
                            resolution_reason = null, resolution_entry_id = null, rematch_line_id = null,
                            resolved_by = null, resolved_at = null, updated_at = clock_timestamp() where id = ?""")
                        .param(id).update();
            }
            default -> throw new IllegalStateException(verb);
        }
        record(id, actor, verb, details);
        return get(id);
    }

    private void resolve(UUID id, Map<String, Object> current, Action action, Map<String, Object> details) {
        if (!"OPEN".equals(current.get("state"))) {
            throw ApiProblem.conflict("discrepancy_resolved", "discrepancy " + id + " is already resolved");
        }
        String resolution = action.resolution();
        if (resolution == null || !RESOLUTIONS.contains(resolution)) {
            throw ApiProblem.invalid("resolution", "one of ledger_adjustment, rail_error, write_off, rematch");
        }
        String reason = required(action.reason(), "reason", 2000);
        details.put("resolution", resolution);
        details.put("reason", reason);
        UUID entryId = null;
        Long lineId = null;
        switch (resolution) {
            case "ledger_adjustment" -> entryId = adjust(id, current, action.adjustment(), reason, details);
            case "rematch" -> lineId = rematch(id, current, action.lineId(), reason, details);
            default -> { } // rail_error, write_off: a decision with its reason, no money moves
        }
        jdbc.sql("""
                update reconciliation_discrepancies set state = 'RESOLVED', resolution = ?, resolution_reason = ?,
                    resolution_entry_id = ?, rematch_line_id = ?, resolved_by = ?, resolved_at = clock_timestamp(),
                    updated_at = clock_timestamp() where id = ?""")
                .params(resolution, reason, entryId, lineId, details.get("actor"), id).update();
    }

    private UUID adjust(UUID id, Map<String, Object> current, Adjustment adjustment, String reason,
            Map<String, Object> details) {
        if (adjustment == null) {
            throw ApiProblem.invalid("adjustment", "a ledger adjustment needs {amount, currency}");
        }
        CurrencyCode currency = CurrencyCode.parse(adjustment.currency())
                .orElseThrow(() -> ApiProblem.invalid("adjustment.currency", "one of USD, BRL, MXN, USDC"));
        long minor;
        try {
            minor = currency.toMinor(new BigDecimal(String.valueOf(adjustment.amount())));
        } catch (RuntimeException e) {
            throw ApiProblem.invalid("adjustment.amount", "a signed decimal with at most " + currency.scale()
                    + " decimals");
        }
        if (minor == 0) {
            throw ApiProblem.invalid("adjustment.amount", "not zero");
        }
        AccountKind counter;
        try {
            counter = adjustment.counterAccount() == null ? AccountKind.FUNDING
                    : AccountKind.valueOf(adjustment.counterAccount());
        } catch (IllegalArgumentException e) {
            counter = null;
        }
        if (counter == null || !COUNTER_ACCOUNTS.contains(counter)) {
            throw ApiProblem.invalid("adjustment.counter_account", "one of FUNDING, FEES, FX_CLEARING");
        }
        int earlier = jdbc.sql("select count(*) from reconciliation_audit where discrepancy_id = ? and action = 'resolve'")
                .param(id).query(Integer.class).single();
        String rail = (String) current.get("rail");
        Posted posted;
        try {
            posted = ledger.post(EntryRequest.builder("reconciliation.adjustment", id + ":" + (earlier + 1))
                    .description("reconciliation " + current.get("type") + " on " + rail + ": " + reason)
                    .leg(AccountKey.rail(rail, currency, AccountKind.SETTLEMENT), minor)
                    .leg(AccountKey.house(currency, counter), -minor).build());
        } catch (LedgerException e) {
            throw ApiProblem.unprocessable("adjustment_refused", "Adjustment refused", e.getMessage(),
                    "adjustment");
        }
        details.put("entry_id", posted.entryId());
        details.put("adjustment", Map.of("amount", currency.fromMinor(minor).toPlainString(), "currency",
                currency.name(), "rail_account", rail + "/SETTLEMENT", "counter_account", counter.name()));
        return posted.entryId();
    }

    private Long rematch(UUID id, Map<String, Object> current, Long lineId, String reason,
            Map<String, Object> details) {
        if (lineId == null) {
            throw ApiProblem.invalid("line_id", "the statement line to match");
        }
        if (current.get("transfer_id") == null) {
            throw ApiProblem.invalid("line_id", "a " + current.get("type") + " discrepancy names no transfer to match");
        }
        UUID transferId = (UUID) current.get("transfer_id");
        Map<String, Object> line = jdbc.sql("""
                select l.id, l.run_id, l.line_no, l.currency, l.rail_reference, r.rail
                from reconciliation_statement_lines l join reconciliation_runs r on r.id = l.run_id where l.id = ?""")
                .param(lineId).query().listOfRows().stream().findFirst()
                .orElseThrow(() -> ApiProblem.invalid("line_id", "no statement line " + lineId));
        String currency = jdbc.sql("select destination_currency from transfers where id = ?").param(transferId)
                .query(String.class).single();
        if (!current.get("rail").equals(line.get("rail"))) {
            throw ApiProblem.invalid("line_id", "line " + lineId + " is on " + line.get("rail"));
        }
        if (!currency.equals(line.get("currency"))) {
            throw ApiProblem.invalid("line_id", "line " + lineId + " is in " + line.get("currency") + ", the transfer in "
                    + currency);
        }
        jdbc.sql("""
                insert into reconciliation_matches (run_id, group_no, transfer_id, line_no, rule, clean)
                values (?, 0, ?, ?, 'manual', true)""")
                .params(line.get("run_id"), transferId, line.get("line_no")).update();
        details.put("line_id", lineId);
        details.put("rail_reference", line.get("rail_reference"));
        // the line's own "missing in ledger" is the other half of the same fault: resolved with it
        List<UUID> other = jdbc.sql("""
                select id from reconciliation_discrepancies where state = 'OPEN' and type = 'missing_in_ledger'
                and rail = ? and id <> ? and (line_id = ? or (rail_reference is not null and rail_reference = ?))
                for update""").params(current.get("rail"), id, lineId, line.get("rail_reference"))
                .query(UUID.class).list();
        for (UUID half : other) {
            jdbc.sql("""
                    update reconciliation_discrepancies set state = 'RESOLVED', resolution = 'rematch',
                        resolution_reason = ?, rematch_line_id = ?, resolved_by = ?, resolved_at = clock_timestamp(),
                        updated_at = clock_timestamp() where id = ?""")
                    .params(reason, lineId, details.get("actor"), half).update();
            record(half, (String) details.get("actor"), "resolve", Map.of("resolution", "rematch", "reason", reason,
                    "line_id", lineId, "with", id.toString()));
        }
        details.put("also_resolved", other);
        return lineId;
    }

    private void record(UUID id, String actor, String action, Map<String, Object> details) {
        Map<String, Object> stored = new LinkedHashMap<>(details);
        stored.remove("actor");
        try {
            jdbc.sql("insert into reconciliation_audit (discrepancy_id, actor, action, details) values (?, ?, ?, ?::jsonb)")
                    .params(id, actor, action, json.writeValueAsString(stored)).update();
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static String required(String value, String field, int max) {
        if (value == null || value.isBlank()) {
            throw ApiProblem.invalid(field, "required");
        }
        if (value.length() > max) {
            throw ApiProblem.invalid(field, "at most " + max + " characters");
        }
        return value.trim();
    }

    /** The trail of one discrepancy, oldest first. */
    public List<Map<String, Object>> audit(UUID id) {
        return jdbc.sql("select * from reconciliation_audit where discrepancy_id = ? order by id").param(id)
                .query(this::auditRow).list();
    }

    /** The whole trail (every discrepancy) from {@code since}, oldest first, at most {@code limit} rows. */
    public List<Map<String, Object>> auditTrail(Instant since, int limit) {
        return jdbc.sql("select * from reconciliation_audit where at >= ? order by id limit ?")
                .params(Timestamp.from(since), limit).query(this::auditRow).list();
    }

    private Map<String, Object> auditRow(ResultSet rs, int n) throws SQLException {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("id", rs.getLong("id"));
        row.put("discrepancy_id", rs.getObject("discrepancy_id", UUID.class));
        row.put("actor", rs.getString("actor"));
        row.put("action", rs.getString("action"));
        try {
            row.put("details", json.readValue(rs.getString("details"), Map.class));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        row.put("at", rs.getTimestamp("at").toInstant().toString());
        return row;
    }

    Map<String, Object> row(ResultSet rs, int n) throws SQLException {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("id", rs.getObject("id", UUID.class));
        view.put("object", "reconciliation_discrepancy");
        view.put("partner_id", rs.getObject("partner_id", UUID.class));
        view.put("rail", rs.getString("rail"));
        view.put("type", rs.getString("type"));
        view.put("state", rs.getString("state"));
        view.put("transfer_id", rs.getObject("transfer_id", UUID.class));
        view.put("rail_reference", rs.getString("rail_reference"));
        view.put("line_id", rs.getObject("line_id"));
        String currency = rs.getString("currency");
        view.put("currency", currency);
        view.put("ledger_amount", amount(currency, rs.getObject("ledger_amount_minor")));
        view.put("rail_amount", amount(currency, rs.getObject("rail_amount_minor")));
        view.put("ledger_status", rs.getString("ledger_status"));
        view.put("rail_status", rs.getString("rail_status"));
        view.put("detail", rs.getString("detail"));
        view.put("run_id", rs.getObject("run_id", UUID.class));
        view.put("last_run_id", rs.getObject("last_run_id", UUID.class));
        view.put("assignee", rs.getString("assignee"));
        view.put("resolution", rs.getString("resolution"));
        view.put("resolution_reason", rs.getString("resolution_reason"));
        view.put("resolution_entry_id", rs.getObject("resolution_entry_id", UUID.class));
        view.put("rematch_line_id", rs.getObject("rematch_line_id"));
        view.put("resolved_by", rs.getString("resolved_by"));
        Timestamp resolved = rs.getTimestamp("resolved_at");
        view.put("resolved_at", resolved == null ? null : resolved.toInstant().toString());
        view.put("created_at", rs.getTimestamp("created_at").toInstant().toString());
        view.put("updated_at", rs.getTimestamp("updated_at").toInstant().toString());
        return view;
    }

    private static String amount(String currency, Object minor) {
        if (minor == null) {
            return null;
        }
        long value = ((Number) minor).longValue();
        return CurrencyCode.parse(currency).map(c -> c.fromMinor(value).toPlainString()).orElse(String.valueOf(value));
    }
}
