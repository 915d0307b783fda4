package io.railyard.reconciliation;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.railyard.api.ApiProblem;
import io.railyard.api.Keyset;
import io.railyard.ops.OpsAudit;
import io.railyard.outbox.Outbox;
import java.io.IOException;
import java.io.Writer;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.copy.PGCopyOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.datasource.DataSourceUtils;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * One reconciliation run of a rail over a period, set-based in PostgreSQL so that it scales to millions of lines:
 * <ol>
 * <li>the statement lines are streamed into a temporary table (COPY); the ledger side is every transfer handed to the
 * rail (its SUBMITTED transition) in the period widened by the date window;</li>
 * <li>repeated lines (same rail reference, amount, currency and outcome) are duplicates at the rail;</li>
 * <li>matching: by rail reference (groups: one-to-many and many-to-one), then by the transfer id the rail echoed,
 * then by the configured rules in order (1:1 mutual closest in time, or groups sharing a reference);</li>
 * <li>each match is checked (currency, amount within tolerance, status) and what is left unmatched in the period is
 * missing at the rail or in the ledger;</li>
 * <li>a run records its report (counts, match rate, totals per currency, duration). Unless dry, the imported lines
 * (raw and normalised), the matches and the discrepancies are stored; a discrepancy found again by a later run is the
 * same one (its fingerprint), a new one is audited as raised, announced in the outbox
 * ({@code reconciliation.discrepancy}) and counted in {@code railyard_reconciliation_discrepancies_total}.</li>
 * </ol>
 * Runs of one rail are serialised (advisory lock).
 */
@Component
public class ReconciliationEngine {

    public static final String TOPIC = "railyard.reconciliation.discrepancy.v1";
    public static final String EVENT_TYPE = "reconciliation.discrepancy";
    static final Duration MAX_PERIOD = Duration.ofDays(31);
    private static final Logger log = LoggerFactory.getLogger(ReconciliationEngine.class);

    private final DataSource dataSource;
    private final JdbcClient jdbc;
    private final TransactionTemplate tx;
    private final TransactionTemplate ownTransaction;
    private final ReconciliationSettings settings;
    private final ReconStatement statements;
    private final Discrepancies discrepancies;
    private final Outbox outbox;
    private final ObjectMapper json;
    private final MeterRegistry meters;
    private final OpsAudit opsAudit;
    private final Map<String, AtomicLong> matchRates = new ConcurrentHashMap<>();

    public ReconciliationEngine(DataSource dataSource, JdbcClient jdbc, TransactionTemplate tx,
            ReconciliationSettings settings, ReconStatement statements, Discrepancies discrepancies, Outbox outbox,
            ObjectMapper json, MeterRegistry meters, OpsAudit opsAudit) {
        this.dataSource = dataSource;
        this.jdbc = jdbc;
        this.tx = tx;
        // a failed run is recorded even when the caller's transaction (an Idempotency-Key's) rolls back
        this.ownTransaction = new TransactionTemplate(tx.getTransactionManager());
        this.ownTransaction.setPropagationBehavior(TransactionDefinition.PROPAGATION_REQUIRES_NEW);
        this.settings = settings;
        this.statements = statements;
        this.discrepancies = discrepancies;
        this.outbox = outbox;
        this.json = json;
        this.meters = meters;
        this.opsAudit = opsAudit;
    }

    /** What to reconcile: a rail over [from, to). */
    public record RunRequest(String rail, Instant from, Instant to, boolean dryRun, String trigger, String actor) {
    }

    /**
     * A run asked for by an ops user (the API's POST /v1/reconciliation/runs and the ops console): the request is
     * checked, audited in {@code ops_audit} as {@code reconciliation.run} with its actor, then run. Bad input is a 422
     * naming the field; nothing is recorded then.
     */
    public Map<String, Object> runOnDemand(String rail, Instant from, Instant to, boolean dryRun, String actor) {
        if (rail == null || !statements.supports(rail)) {
            throw ApiProblem.invalid("rail", "a rail whose connector declares a statement route");
        }
        if (from == null) {
            throw ApiProblem.invalid("from", "required (RFC 3339)");
        }
        if (to == null || !to.isAfter(from)) {
            throw ApiProblem.invalid("to", "required (RFC 3339), after from");
        }
        if (Duration.between(from, to).compareTo(MAX_PERIOD) > 0) {
            throw ApiProblem.invalid("to", "a period of at most 31 days");
        }
        tx.executeWithoutResult(status -> opsAudit.record(actor, "reconciliation.run", "rail:" + rail, "on demand",
                Map.of("from", from.toString(), "to", to.toString(), "dry_run", dryRun)));
        return run(new RunRequest(rail, from, to, dryRun, "API", actor));
    }

    /** Reads the rail's statement through its connector, then reconciles it. A failed run is recorded as FAILED. */
    public Map<String, Object> run(RunRequest request) {
        long started = System.nanoTime();
        try {
            List<StatementLine> lines = statements.fetch(request.rail(), request.from().minus(settings.dateWindow()),
                    request.to().plus(settings.dateWindow()));
            return reconcile(request, lines.iterator(), started);
        } catch (RuntimeException e) {
            recordFailure(request, e, started);
            throw e;
        }
    }

    /** Reconciles the given statement lines (already read) of the rail against the ledger. */
    public Map<String, Object> reconcile(RunRequest request, Iterator<StatementLine> lines, long startedNanos) {
        UUID runId = UUID.randomUUID();
        Map<String, Long> phases = new LinkedHashMap<>(); // where a run's time goes, in its report: load, match, ...
        Map<String, Object> report = tx.execute(status -> {
            Connection connection = DataSourceUtils.getConnection(dataSource);
            jdbc.sql("select pg_advisory_xact_lock(hashtext('reconciliation:' || ?))").param(request.rail())
                    .query(Object.class).single();
            jdbc.sql("select set_config('work_mem', ?, true)").param(settings.workMem()).query(String.class).single();
            long lap = System.nanoTime();
            prepare(request, connection, lines);
            lap = lap(phases, "load", lap);
            match();
            lap = lap(phases, "match", lap);
            check(request);
            lap = lap(phases, "check", lap);
            Map<String, Object> stats = stats();
            long durationMs = (System.nanoTime() - startedNanos) / 1_000_000;
            insertRun(runId, request, stats, durationMs);
            lap = lap(phases, "report", lap);
            if (!request.dryRun()) {
                persist(runId, request);
                lap(phases, "store", lap);
            }
            return stats;
        });
        long durationMs = (System.nanoTime() - startedNanos) / 1_000_000;
        jdbc.sql("""
                update reconciliation_runs set duration_ms = ?, report = report || jsonb_build_object('phases_ms', ?::jsonb)
                where id = ?""").params(durationMs, write(phases), runId).update();
        Timer.builder("railyard.reconciliation.run.duration").tag("rail", request.rail())
                .tag("dry_run", String.valueOf(request.dryRun())).register(meters)
                .record(Duration.ofMillis(durationMs));
        matchRates.computeIfAbsent(request.rail(), rail -> meters.gauge("railyard.reconciliation.match.rate",
                io.micrometer.core.instrument.Tags.of("rail", rail), new AtomicLong(), v -> v.get() / 1_000_000.0))
                .set(Math.round(((Number) report.get("match_rate")).doubleValue() * 1_000_000));
        log.info("Reconciliation {} of {} [{}, {}){}: {} ms {}, match rate {}, {} discrepancies", runId,
                request.rail(), request.from(), request.to(), request.dryRun() ? " (dry run)" : "", durationMs, phases,
                report.get("match_rate"), report.get("discrepancies"));
        return runView(runId);
    }

    private static long lap(Map<String, Long> phases, String phase, long since) {
        long now = System.nanoTime();
        phases.put(phase, (now - since) / 1_000_000);
        return now;
    }

    private void prepare(RunRequest request, Connection connection, Iterator<StatementLine> lines) {
        Timestamp from = Timestamp.from(request.from());
        Timestamp to = Timestamp.from(request.to());
        Timestamp wideFrom = Timestamp.from(request.from().minus(settings.dateWindow()));
        Timestamp wideTo = Timestamp.from(request.to().plus(settings.dateWindow()));
        jdbc.sql("""
                create temp table rl on commit drop as
                select t.id, t.partner_id, coalesce(t.rail_reference, e.tx_hash) as rail_reference, t.reference,
                       t.destination_amount_minor as amount_minor, t.destination_currency as currency, t.status,
                       s.at as submitted_at, (s.at >= ? and s.at < ?) as in_period
                from transfer_transitions s
                join transfers t on t.id = s.transfer_id
                left join evm_transactions e on e.transfer_id = t.id and e.refused_at is null
                where s.to_status = 'SUBMITTED' and s.at >= ? and s.at < ? and t.rail = ?
                  and not exists (select 1 from transfer_reroutes r where r.transfer_id = t.id and r.submitted_at = s.at)
                union all -- payouts this rail refused before the transfer was rerouted: FAILED here
                select t.id, t.partner_id, r.rail_reference, t.reference, t.destination_amount_minor,
                       t.destination_currency, 'FAILED', r.submitted_at, (r.submitted_at >= ? and r.submitted_at < ?)
                from transfer_reroutes r join transfers t on t.id = r.transfer_id
                where r.from_rail = ? and r.submitted_at >= ? and r.submitted_at < ?""")
                .params(from, to, wideFrom, wideTo, request.rail(), from, to, request.rail(), wideFrom, wideTo)
                .update();
        jdbc.sql("""
                create temp table ls (line_no int primary key, rail_reference text, transfer_id uuid, transfer_key text,
                    reference text, amount_minor bigint, currency text, rail_status text, outcome text not null,
                    occurred_at timestamptz not null, returned_at timestamptz, raw text not null,
                    in_period boolean not null, dup_rank int not null default 1) on commit drop""").update();
        copyLines(connection, lines, request.from(), request.to());
        jdbc.sql("""
                update ls set dup_rank = d.rn from (
                    select line_no, row_number() over (partition by rail_reference, amount_minor, currency, outcome
                                                       order by line_no) as rn
                    from ls where (rail_reference, amount_minor, currency, outcome) in (
                        select rail_reference, amount_minor, currency, outcome from ls
                        where rail_reference is not null group by 1, 2, 3, 4 having count(*) > 1)) d
                where d.line_no = ls.line_no and d.rn > 1""").update();
        jdbc.sql("analyze rl").update();
        jdbc.sql("analyze ls").update();
        jdbc.sql("""
                create temp table m (group_key text not null, transfer_id uuid not null, line_no int not null,
                    rule text not null, tolerance bigint not null) on commit drop""").update();
    }

    private void copyLines(Connection connection, Iterator<StatementLine> lines, Instant from, Instant to) {
        try {
            CopyIn copy = connection.unwrap(PGConnection.class).getCopyAPI().copyIn("""
                    copy ls (line_no, rail_reference, transfer_id, transfer_key, reference, amount_minor, currency,
                             rail_status, outcome, occurred_at, returned_at, raw, in_period) from stdin""");
            try (Writer out = new java.io.BufferedWriter(new java.io.OutputStreamWriter(
                    new PGCopyOutputStream(copy), java.nio.charset.StandardCharsets.UTF_8), 1 << 16)) {
                int lineNo = 0;
                StringBuilder row = new StringBuilder(512);
                while (lines.hasNext()) {
                    StatementLine line = lines.next();
                    row.setLength(0);
                    row.append(++lineNo).append('\t');
                    field(row, line.railReference());
                    field(row, line.transferId() == null ? null : line.transferId().toString());
                    field(row, line.transferKey());
                    field(row, line.reference());
                    field(row, line.amountMinor() == null ? null : line.amountMinor().toString());
                    field(row, line.currency());
                    field(row, line.railStatus());
                    field(row, line.outcome());
                    field(row, line.occurredAt().toString());
                    field(row, line.returnedAt() == null ? null : line.returnedAt().toString());
                    field(row, line.raw());
                    row.append(!line.occurredAt().isBefore(from) && line.occurredAt().isBefore(to) ? 't' : 'f')
                            .append('\n');
                    out.append(row);
                }
            }
        } catch (SQLException | IOException e) {
            throw new IllegalStateException("statement lines could not be loaded: " + e.getMessage(), e);
        }
    }

    /** A COPY text-format field: backslash escapes, \N for null. */
    private static void field(StringBuilder row, String value) {
        if (value == null) {
            row.append("\\N\t");
            return;
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '\\' -> row.append("\\\\");
                case '\t' -> row.append("\\t");
                case '\n' -> row.append("\\n");
                case '\r' -> row.append("\\r");
                default -> row.append(c);
            }
        }
        row.append('\t');
    }

    private void match() {
        long tolerance = settings.amountToleranceMinor();
        // 1. the rail's reference (payout id, end-to-end id, tracking key, tx hash): groups, so 1:n and n:1 too
        jdbc.sql("""
                insert into m select 'ref:' || l.rail_reference, r.id, l.line_no, 'rail_reference', ?
                from ls l join rl r on r.rail_reference = l.rail_reference where l.dup_rank = 1""")
                .param(tolerance).update();
        // 2. the transfer id the rail echoed as its idempotency key
        unmatched();
        jdbc.sql("create temp table mnew (like m) on commit drop").update();
        jdbc.sql("""
                insert into mnew select 'key:' || r.id, r.id, l.line_no, 'transfer_key', ?
                from ul l join ur r on r.id = l.transfer_id""").param(tolerance).update();
        settle();
        // 3. the configured rules, in order
        for (ReconciliationSettings.Rule rule : settings.rules()) {
            double window = rule.dateWindow().toMillis() / 1000.0;
            if (rule.group()) {
                jdbc.sql("""
                        with lg as (select reference, currency, sum(amount_minor) as amount, count(*) as n,
                                           min(occurred_at) as t0, max(occurred_at) as t1
                                    from ul where reference is not null and amount_minor is not null
                                    group by reference, currency),
                             rg as (select reference, currency, sum(amount_minor) as amount, count(*) as n,
                                           min(submitted_at) as t0, max(submitted_at) as t1
                                    from ur where reference is not null group by reference, currency)
                        insert into mnew
                        select 'grp:' || ? || ':' || lg.reference, r.id, l.line_no, ?, ?
                        from lg join rg on rg.reference = lg.reference and rg.currency = lg.currency
                                       and abs(rg.amount - lg.amount) <= ? and (lg.n > 1 or rg.n > 1)
                                       and rg.t0 >= lg.t0 - make_interval(secs => ?)
                                       and rg.t1 <= lg.t1 + make_interval(secs => ?)
                        join ul l on l.reference = lg.reference and l.currency = lg.currency
                        join ur r on r.reference = rg.reference and r.currency = rg.currency""")
                        .params(rule.name(), rule.name(), rule.amountToleranceMinor(), rule.amountToleranceMinor(),
                                window, window).update();
            } else {
                jdbc.sql("""
                        insert into mnew
                        select 'rule:' || ? || ':' || c.line_no, c.id, c.line_no, ?, ? from (
                            select l.line_no, r.id,
                                   row_number() over (partition by l.line_no order by
                                       abs(extract(epoch from l.occurred_at - r.submitted_at)), r.id) as by_line,
                                   row_number() over (partition by r.id order by
                                       abs(extract(epoch from l.occurred_at - r.submitted_at)), l.line_no) as by_transfer
                            from ul l join ur r on r.currency = l.currency
                                 and r.amount_minor between l.amount_minor - ? and l.amount_minor + ?
                                 and r.submitted_at between l.occurred_at - make_interval(secs => ?)
                                                        and l.occurred_at + make_interval(secs => ?)
                                 and (not ? or r.reference = l.reference)) c
                        where c.by_line = 1 and c.by_transfer = 1""")
                        .params(rule.name(), rule.name(), rule.amountToleranceMinor(), rule.amountToleranceMinor(),
                                rule.amountToleranceMinor(), window, window, rule.matchReference()).update();
            }
            settle();
        }
    }

    /** Moves the matches just made (mnew) into m and out of the leftovers (ul, ur), which stay small. */
    private void settle() {
        jdbc.sql("delete from ul where line_no in (select line_no from mnew)").update();
        jdbc.sql("delete from ur where id in (select transfer_id from mnew)").update();
        jdbc.sql("insert into m select * from mnew").update();
        jdbc.sql("truncate mnew").update();
    }

    /** What matching by rail reference left: lines (not duplicates) and transfers. */
    private void unmatched() {
        jdbc.sql("analyze m").update(); // temporary tables get no statistics unless asked: hash joins, not loops
        jdbc.sql("""
                create temp table ul on commit drop as select l.* from ls l
                where l.dup_rank = 1 and not exists (select 1 from m where m.line_no = l.line_no)""").update();
        jdbc.sql("""
                create temp table ur on commit drop as select r.* from rl r
                where not exists (select 1 from m where m.transfer_id = r.id)""").update();
        jdbc.sql("analyze ul").update();
        jdbc.sql("analyze ur").update();
    }

    private void check(RunRequest request) {
        String rail = request.rail();
        jdbc.sql("""
                create temp table d (type text not null, transfer_id uuid, partner_id uuid, line_no int,
                    rail_reference text, currency text, ledger_amount_minor bigint, rail_amount_minor bigint,
                    ledger_status text, rail_status text, detail text not null, fingerprint text not null) on commit drop
                """).update();
        // every match with both sides' facts, joined once: the checks and the report read it instead of joining again
        jdbc.sql("""
                create temp table mp on commit drop as
                select m.group_key, m.rule, m.tolerance, r.id, r.partner_id, r.currency, r.amount_minor, r.status,
                       r.in_period as ledger_in_period, l.line_no, l.rail_reference, l.currency as line_currency,
                       l.amount_minor as line_amount, l.rail_status, l.outcome, l.returned_at,
                       l.in_period as line_in_period
                from m join rl r on r.id = m.transfer_id join ls l on l.line_no = m.line_no""").update();
        // the groups of more than one pair (one-to-many, many-to-one) are few: the others are checked pair by pair
        jdbc.sql("create temp table mg on commit drop as select group_key from m group by group_key having count(*) > 1")
                .update();
        jdbc.sql("analyze mg").update();
        // a group of one pair: the transfer's amount and currency against the line's
        jdbc.sql("""
                insert into d
                select p.type, p.id, p.partner_id, p.line_no, p.rail_reference, p.currency, p.amount_minor,
                       p.line_amount, p.status, p.rail_status,
                       'matched by ' || p.rule || ' (1 transfer(s), 1 line(s)): ledger ' || p.amount_minor || ' '
                           || p.currency || ', rail ' || coalesce(p.line_amount::text, '?') || ' '
                           || coalesce(p.line_currency, '?') || ', tolerance ' || p.tolerance,
                       ? || '|' || p.type || '|' || p.id || '|' || coalesce(p.rail_reference, p.line_no::text)
                from (select mp.*, case when line_amount is null or line_currency is null or line_currency <> currency
                                       then 'currency_mismatch' else 'amount_mismatch' end as type
                      from mp where (ledger_in_period or line_in_period)
                        and (line_amount is null or line_currency is null or line_currency <> currency
                             or abs(amount_minor - line_amount) > tolerance)
                        and not exists (select 1 from mg where mg.group_key = mp.group_key)) p""").param(rail).update();
        // a larger group: the transfers' total against the lines' total (a group holds every pair of its transfers
        // and its lines, so each transfer and each line is counted once)
        jdbc.sql("""
                create temp table gt on commit drop as
                select x.group_key, min(x.rule) as rule, min(x.tolerance) as tolerance, sum(x.amount_minor) as amount,
                       count(*) as n, min(x.currency) as c0, max(x.currency) as c1, bool_or(x.ledger_in_period) as in_period
                from (select distinct group_key, id, rule, tolerance, amount_minor, currency, ledger_in_period
                      from mp join mg using (group_key)) x
                group by x.group_key""").update();
        jdbc.sql("""
                create temp table gl on commit drop as
                select x.group_key, sum(x.line_amount) as amount, count(*) as n, min(x.line_currency) as c0,
                       max(x.line_currency) as c1, bool_or(x.line_currency is null or x.line_amount is null) as unreadable,
                       bool_or(x.line_in_period) as in_period, min(x.line_no) as first_line
                from (select distinct group_key, line_no, line_amount, line_currency, line_in_period
                      from mp join mg using (group_key)) x
                group by x.group_key""").update();
        jdbc.sql("""
                insert into d
                select case when gl.unreadable or gt.c0 <> gt.c1 or gl.c0 <> gl.c1 or gt.c0 <> gl.c0
                            then 'currency_mismatch' else 'amount_mismatch' end,
                       r.id, r.partner_id, gl.first_line, l.rail_reference, r.currency, gt.amount, gl.amount, r.status,
                       l.rail_status,
                       'matched by ' || gt.rule || ' (' || gt.n || ' transfer(s), ' || gl.n || ' line(s)): ledger '
                           || gt.amount || ' ' || gt.c0 || ', rail ' || coalesce(gl.amount::text, '?') || ' '
                           || coalesce(gl.c0, '?') || ', tolerance ' || gt.tolerance,
                       ? || '|' || case when gl.unreadable or gt.c0 <> gt.c1 or gl.c0 <> gl.c1 or gt.c0 <> gl.c0
                            then 'currency_mismatch' else 'amount_mismatch' end || '|' || r.id || '|'
                           || coalesce(l.rail_reference, gl.first_line::text)
                from gt join gl on gl.group_key = gt.group_key
                join (select distinct group_key, id, partner_id, currency, status from mp join mg using (group_key)) r
                  on r.group_key = gt.group_key
                join ls l on l.line_no = gl.first_line
                where (gt.in_period or gl.in_period)
                  and (gl.unreadable or gt.c0 <> gt.c1 or gl.c0 <> gl.c1 or gt.c0 <> gl.c0
                       or abs(gt.amount - gl.amount) > gt.tolerance)""").param(rail).update();
        // per matched pair: what the ledger says against what the rail says
        jdbc.sql("""
                insert into d
                select distinct on (p.id, p.type) p.type, p.id, p.partner_id, p.line_no, p.rail_reference, p.currency,
                       p.amount_minor, p.line_amount, p.status, p.rail_status,
                       case when p.type = 'late_return'
                            then 'settled in the ledger, returned by the rail' || coalesce(' at ' || p.returned_at, '')
                            else 'ledger ' || p.status || ', rail ' || coalesce(p.rail_status, '?') || ' ('
                                 || p.outcome || ')' end,
                       ? || '|' || p.type || '|' || p.id || '|' || coalesce(p.rail_reference, p.line_no::text)
                from (select mp.*, case when status = 'SETTLED' and outcome = 'RETURNED' then 'late_return'
                                        else 'status_mismatch' end as type
                      from mp where (ledger_in_period or line_in_period)
                        and (status, outcome) not in (('SUBMITTED', 'PENDING'), ('SETTLED', 'SETTLED'),
                                                      ('FAILED', 'FAILED'), ('RETURNED', 'RETURNED'),
                                                      ('FAILED', 'RETURNED'), ('RETURNED', 'FAILED'))) p
                order by p.id, p.type, p.line_no""").param(rail).update();
        // the same line delivered again by the rail
        jdbc.sql("""
                insert into d
                select 'duplicate_at_rail', r.id, r.partner_id, l.line_no, l.rail_reference, l.currency,
                       r.amount_minor, l.amount_minor, r.status, l.rail_status,
                       'the rail lists ' || l.rail_reference || ' again (copy ' || l.dup_rank || ')',
                       ? || '|duplicate_at_rail|' || l.rail_reference || '|' || l.dup_rank
                from ls l left join rl r on r.rail_reference = l.rail_reference
                where l.dup_rank > 1 and l.in_period""").param(rail).update();
        jdbc.sql("""
                insert into d
                select 'missing_in_ledger', null, null, l.line_no, l.rail_reference, l.currency, null, l.amount_minor,
                       null, l.rail_status,
                       'the rail has ' || coalesce(l.rail_reference, 'a line') || ' (' || l.outcome
                           || '), no transfer of the hub matches it',
                       ? || '|missing_in_ledger|' || coalesce(l.rail_reference,
                                                               l.occurred_at::text || '|' || l.amount_minor)
                from ul l where l.in_period""").param(rail).update();
        jdbc.sql("""
                insert into d
                select 'missing_at_rail', r.id, r.partner_id, null, r.rail_reference, r.currency, r.amount_minor, null,
                       r.status, null, 'the ledger has the transfer ' || r.status || ', the rail does not list it',
                       ? || '|missing_at_rail|' || r.id
                from ur r where r.in_period and r.status in ('SUBMITTED', 'SETTLED', 'RETURNED')""").param(rail)
                .update();
    }

    /** Counts and totals; what was matched is what matching did not leave over (ur, ul), not a join of m again. */
    private Map<String, Object> stats() {
        Map<String, Object> stats = new LinkedHashMap<>(jdbc.sql("""
                select (select count(*) from rl where in_period) as ledger_transfers,
                       (select count(*) from ls where in_period and dup_rank = 1) as statement_lines,
                       (select count(*) from rl where in_period) - (select count(*) from ur where in_period)
                           as matched_transfers,
                       (select count(*) from ls where in_period and dup_rank = 1)
                           - (select count(*) from ul where in_period) as matched_lines,
                       (select count(distinct fingerprint) from d) as discrepancies""").query().singleRow());
        long total = ((Number) stats.get("ledger_transfers")).longValue()
                + ((Number) stats.get("statement_lines")).longValue();
        long matched = ((Number) stats.get("matched_transfers")).longValue()
                + ((Number) stats.get("matched_lines")).longValue();
        stats.put("match_rate", total == 0 ? 1.0 : Math.floor(matched * 1_000_000.0 / total) / 1_000_000.0);
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("currencies", jsonOf(jdbc.sql("""
                select coalesce(jsonb_object_agg(currency, totals), '{}'::jsonb)::text from (
                    select coalesce(a.currency, b.currency) as currency, jsonb_build_object(
                        'ledger_count', coalesce(a.n, 0), 'ledger_total_minor', coalesce(a.total, 0),
                        'matched_ledger_total_minor', coalesce(a.matched, 0),
                        'statement_count', coalesce(b.n, 0), 'statement_total_minor', coalesce(b.total, 0),
                        'matched_statement_total_minor', coalesce(b.matched, 0)) as totals
                    from (select r.currency, count(*) as n, sum(r.amount_minor) as total,
                                 sum(r.amount_minor) - coalesce((select sum(u.amount_minor) from ur u
                                     where u.in_period and u.currency = r.currency), 0) as matched
                          from rl r where r.in_period group by r.currency) a
                    full join (select l.currency, count(*) as n, sum(l.amount_minor) as total,
                                      sum(l.amount_minor) - coalesce((select sum(u.amount_minor) from ul u
                                          where u.in_period and u.currency = l.currency), 0) as matched
                               from ls l where l.in_period and l.dup_rank = 1 and l.currency is not null
                               group by l.currency) b
                      on b.currency = a.currency) t""").query(String.class).single()));
        report.put("discrepancies", jsonOf(jdbc.sql("""
                select coalesce(jsonb_object_agg(type, n), '{}'::jsonb)::text
                from (select type, count(distinct fingerprint) as n from d group by type) t""")
                .query(String.class).single()));
        report.put("matched_by_rule", jsonOf(jdbc.sql("""
                select coalesce(jsonb_object_agg(rule, n), '{}'::jsonb)::text
                from (select rule, count(*) as n from mp where ledger_in_period or line_in_period group by rule) t""")
                .query(String.class).single()));
        stats.put("report", report);
        return stats;
    }

    private void insertRun(UUID runId, RunRequest request, Map<String, Object> stats, long durationMs) {
        jdbc.sql("""
                insert into reconciliation_runs (id, rail, period_from, period_to, dry_run, trigger, requested_by, status,
                    ledger_transfers, statement_lines, matched_transfers, matched_lines, match_rate, discrepancies,
                    new_discrepancies, report, duration_ms, finished_at)
                values (?, ?, ?, ?, ?, ?, ?, 'COMPLETED', ?, ?, ?, ?, ?, ?, 0, ?::jsonb, ?, clock_timestamp())""")
                .params(runId, request.rail(), Timestamp.from(request.from()), Timestamp.from(request.to()),
                        request.dryRun(), request.trigger(), request.actor(), stats.get("ledger_transfers"),
                        stats.get("statement_lines"), stats.get("matched_transfers"), stats.get("matched_lines"),
                        stats.get("match_rate"), stats.get("discrepancies"), write(stats.get("report")), durationMs)
                .update();
    }

    private void persist(UUID runId, RunRequest request) {
        jdbc.sql("""
                insert into reconciliation_statement_lines (run_id, line_no, rail_reference, transfer_key, reference,
                    amount_minor, currency, rail_status, outcome, occurred_at, returned_at, raw)
                select ?, line_no, rail_reference, transfer_key, reference, amount_minor, currency, rail_status, outcome,
                       occurred_at, returned_at, raw::json from ls""").param(runId).update();
        jdbc.sql("""
                insert into reconciliation_matches (run_id, group_no, transfer_id, line_no, rule, clean)
                select ?, dense_rank() over (order by m.group_key), m.transfer_id, m.line_no, m.rule,
                       dt.transfer_id is null and dl.line_no is null
                from m
                left join (select distinct transfer_id from d where transfer_id is not null) dt
                       on dt.transfer_id = m.transfer_id
                left join (select distinct line_no from d where line_no is not null) dl on dl.line_no = m.line_no""").param(runId).update();
        List<UUID> raised = jdbc.sql("""
                with fresh as (
                    insert into reconciliation_discrepancies (id, fingerprint, run_id, last_run_id, rail, type,
                        transfer_id, partner_id, line_id, rail_reference, currency, ledger_amount_minor,
                        rail_amount_minor, ledger_status, rail_status, detail)
                    select gen_random_uuid(), d.fingerprint, ?, ?, ?, d.type, d.transfer_id, d.partner_id, sl.id,
                           d.rail_reference, d.currency, d.ledger_amount_minor, d.rail_amount_minor, d.ledger_status,
                           d.rail_status, d.detail
                    from (select distinct on (fingerprint) * from d order by fingerprint, line_no) d
                    left join reconciliation_statement_lines sl on sl.run_id = ? and sl.line_no = d.line_no
                    on conflict (fingerprint) do update set last_run_id = excluded.last_run_id,
                                                            updated_at = clock_timestamp()
                    returning id, (xmax = 0) as inserted)
                select id from fresh where inserted""")
                .params(runId, runId, request.rail(), runId).query(UUID.class).list();
        jdbc.sql("""
                insert into reconciliation_audit (discrepancy_id, actor, action, details)
                select id, ?, 'raised', jsonb_build_object('run_id', run_id, 'type', type, 'detail', detail)
                from reconciliation_discrepancies where id = any(?)""")
                .params(request.actor(), raised.toArray(UUID[]::new)).update();
        jdbc.sql("update reconciliation_runs set new_discrepancies = ? where id = ?").params(raised.size(), runId)
                .update();
        List<Map<String, Object>> views = discrepancies.views(raised);
        outbox.appendAll(views.stream().map(view -> new Outbox.Event(TOPIC, String.valueOf(
                view.get("transfer_id") != null ? view.get("transfer_id") : view.get("id")), EVENT_TYPE, view)).toList());
        views.forEach(view -> Counter.builder("railyard.reconciliation.discrepancies").tag("rail", request.rail())
                .tag("type", view.get("type").toString()).register(meters).increment());
    }

    private void recordFailure(RunRequest request, RuntimeException e, long startedNanos) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        ownTransaction.executeWithoutResult(status -> jdbc.sql("""
                insert into reconciliation_runs (id, rail, period_from, period_to, dry_run, trigger, requested_by, status,
                    error, duration_ms, finished_at)
                values (?, ?, ?, ?, ?, ?, ?, 'FAILED', ?, ?, clock_timestamp())""")
                .params(UUID.randomUUID(), request.rail(), Timestamp.from(request.from()), Timestamp.from(request.to()),
                        request.dryRun(), request.trigger(), request.actor(),
                        message.substring(0, Math.min(2000, message.length())),
                        (System.nanoTime() - startedNanos) / 1_000_000).update());
        Counter.builder("railyard.reconciliation.runs.failed").tag("rail", request.rail()).register(meters)
                .increment();
        log.warn("Reconciliation of {} [{}, {}) failed: {}", request.rail(), request.from(), request.to(), message);
    }

    /** Runs, newest first, of one rail or (null) every rail. */
    public Keyset.Page<Map<String, Object>> runs(String rail, String cursor, int limit) {
        StringBuilder sql = new StringBuilder("select * from reconciliation_runs where true");
        List<Object> params = new ArrayList<>();
        if (rail != null) {
            sql.append(" and rail = ?");
            params.add(rail);
        }
        Keyset.appendPage(sql, params, cursor, limit);
        List<Map<String, Object>> rows = jdbc.sql(sql.toString()).params(params).query(this::runRow).list();
        return Keyset.page(rows, limit, r -> Instant.parse((String) r.get("created_at")), r -> (UUID) r.get("id"));
    }

    /** One run as the API shows it. */
    public Map<String, Object> runView(UUID id) {
        return jdbc.sql("select * from reconciliation_runs where id = ?").param(id).query(this::runRow).optional()
                .orElse(null);
    }

    private Map<String, Object> runRow(java.sql.ResultSet rs, int n) throws SQLException {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("id", rs.getObject("id", UUID.class));
        view.put("object", "reconciliation_run");
        view.put("rail", rs.getString("rail"));
        view.put("from", rs.getTimestamp("period_from").toInstant().toString());
        view.put("to", rs.getTimestamp("period_to").toInstant().toString());
        view.put("dry_run", rs.getBoolean("dry_run"));
        view.put("trigger", rs.getString("trigger"));
        view.put("requested_by", rs.getString("requested_by"));
        view.put("status", rs.getString("status"));
        view.put("ledger_transfers", rs.getObject("ledger_transfers"));
        view.put("statement_lines", rs.getObject("statement_lines"));
        view.put("matched_transfers", rs.getObject("matched_transfers"));
        view.put("matched_lines", rs.getObject("matched_lines"));
        view.put("match_rate", rs.getBigDecimal("match_rate"));
        view.put("discrepancies", rs.getObject("discrepancies"));
        view.put("new_discrepancies", rs.getObject("new_discrepancies"));
        String report = rs.getString("report");
        view.put("report", report == null ? null : jsonOf(report));
        view.put("error", rs.getString("error"));
        view.put("duration_ms", rs.getObject("duration_ms"));
        view.put("created_at", rs.getTimestamp("created_at").toInstant().toString());
        Timestamp finished = rs.getTimestamp("finished_at");
        view.put("finished_at", finished == null ? null : finished.toInstant().toString());
        return view;
    }

    private Object jsonOf(String text) {
        try {
            return json.readValue(text, Object.class);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private String write(Object value) {
        try {
            return json.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
