package io.railyard.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.railyard.ledger.Ledger;
import io.railyard.ops.OpsAudit;
import io.railyard.outbox.AtCommit;
import io.railyard.outbox.Outbox;
import io.railyard.reconciliation.Discrepancies;
import io.railyard.reconciliation.ReconciliationEngine;
import io.railyard.reconciliation.ReconciliationSettings;
import io.railyard.reconciliation.StatementLine;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.UUID;
import org.flywaydb.core.Flyway;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.support.JdbcTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * A reconciliation run of {@code N} ledger transfers against {@code N} statement lines (default 1,000,000 each), with
 * the real {@link ReconciliationEngine} against a real PostgreSQL: the statement is streamed into the engine (COPY),
 * matched (rail reference, then the configured rules), checked, and stored (lines, matches, discrepancies, audit,
 * outbox events). Faults in the statement, one per 1,000 transfers each: amount drift, a line missing (missing at
 * rail), a line listed twice (duplicate at rail), a rail line without transfer (missing in ledger), a late return.
 *
 * <pre>
 * bench/reconciliation.sh                      # 1,000,000 x 1,000,000 on 127.0.0.1:5432 (database recon_bench)
 * BENCH_N=100000 bench/reconciliation.sh       # smaller
 * BENCH_DRY=true bench/reconciliation.sh       # a dry run first, then the full run
 * </pre>
 * The database {@code recon_bench} is dropped and created on the server of {@code bench.db.url} (default
 * {@code jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres}), migrated with the project's Flyway migrations and
 * seeded with SQL (not timed). The timed part is one {@code reconcile} call, as a run after the statement was read.
 */
public final class ReconciliationBench {

    private static final String DATABASE = "recon_bench";
    private static final String RAIL = "bench";
    private static final Instant DAY = Instant.parse("2026-11-24T00:00:00Z");

    private ReconciliationBench() {
    }

    public static void main(String[] args) throws Exception {
        int n = Integer.getInteger("bench.n", 1_000_000);
        String admin = System.getProperty("bench.db.url", "jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres");
        try (Connection c = DriverManager.getConnection(admin); Statement s = c.createStatement()) {
            s.execute("drop database if exists " + DATABASE + " with (force)");
            s.execute("create database " + DATABASE);
        }
        String url = admin.replaceFirst("/[^/?]+(\\?|$)", "/" + DATABASE + "$1");
        Flyway.configure().dataSource(url, null, null).locations("classpath:db/migration").load().migrate();
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setMaximumPoolSize(2);
        try (HikariDataSource dataSource = new HikariDataSource(config)) {
            JdbcTemplate template = new JdbcTemplate(dataSource);
            JdbcClient jdbc = JdbcClient.create(template);
            JdbcTransactionManager transactions = new JdbcTransactionManager(dataSource);
            long seedStart = System.nanoTime();
            seed(jdbc, n);
            System.out.printf("# seeded %,d transfers in %.1f s on %s%n", n, (System.nanoTime() - seedStart) / 1e9,
                    template.queryForObject("select 'PostgreSQL ' || current_setting('server_version')", String.class));
            ObjectMapper json = new ObjectMapper();
            ReconciliationSettings settings = new ReconciliationSettings(true, "0 30 2 * * ?", Duration.ofDays(1),
                    Duration.ofHours(2), 0, "256MB", List.of(
                            new ReconciliationSettings.Rule("reference", 0, Duration.ofHours(24), true, false),
                            new ReconciliationSettings.Rule("reference-group", 0, Duration.ofHours(24), true, true),
                            new ReconciliationSettings.Rule("amount-date", 0, Duration.ofMinutes(10), false, false)),
                    Map.of());
            AtCommit atCommit = new AtCommit(jdbc);
            ReconciliationEngine engine = new ReconciliationEngine(dataSource, jdbc, new TransactionTemplate(transactions),
                    settings, null, new Discrepancies(jdbc, new Ledger(jdbc, template, atCommit, transactions), json),
                    new Outbox(atCommit, json), json, new SimpleMeterRegistry(), new OpsAudit(jdbc, json));
            boolean[] runs = Boolean.getBoolean("bench.dry") ? new boolean[] {true, false} : new boolean[] {false};
            for (boolean dryRun : runs) {
                long started = System.nanoTime();
                Map<String, Object> run = engine.reconcile(new ReconciliationEngine.RunRequest(RAIL, DAY,
                        DAY.plus(Duration.ofDays(1)), dryRun, "API", "bench"), new Lines(n), started);
                System.out.printf("# %s run of %,d transfers x %,d statement lines: %.1f s (duration_ms %s), "
                        + "match rate %s, discrepancies %s %s, phases (ms) %s%n", dryRun ? "dry" : "full",
                        run.get("ledger_transfers"), run.get("statement_lines"), (System.nanoTime() - started) / 1e9,
                        run.get("duration_ms"), run.get("match_rate"), run.get("discrepancies"),
                        ((Map<?, ?>) run.get("report")).get("discrepancies"),
                        ((Map<?, ?>) run.get("report")).get("phases_ms"));
            }
        } finally {
            try (Connection c = DriverManager.getConnection(admin); Statement s = c.createStatement()) {
                s.execute("drop database if exists " + DATABASE + " with (force)");
            }
        }
    }

    /** N transfers SETTLED on the bench rail, handed to it over the day, each with its rail reference R<i>. */
    private static void seed(JdbcClient jdbc, int n) {
        UUID partner = UUID.randomUUID();
        jdbc.sql("insert into partners (id, name) values (?, 'bench')").param(partner).update();
        jdbc.sql("""
                insert into transfers (id, partner_id, status, protocol, source_currency, source_amount_minor,
                    destination_currency, destination_amount_minor, beneficiary, reference, rail, rail_reference,
                    created_at, updated_at)
                select md5('t' || i)::uuid, ?, 'SETTLED', 'api', 'BRL',
                       1000 + i % 5000, 'BRL', 1000 + i % 5000, '{}'::jsonb, 'ref-' || i, ?, 'R' || i,
                       ?::timestamptz + (i * interval '86 milliseconds'), ?::timestamptz + (i * interval '86 milliseconds')
                from generate_series(1, ?) i""")
                .params(partner, RAIL, DAY.toString(), DAY.toString(), n).update();
        jdbc.sql("""
                insert into transfer_transitions (transfer_id, from_status, to_status, reason, at)
                select md5('t' || i)::uuid, 'ROUTED', 'SUBMITTED', 'bench', ?::timestamptz + (i * interval '86 milliseconds')
                from generate_series(1, ?) i""").params(DAY.toString(), n).update();
        jdbc.sql("analyze transfers").update();
        jdbc.sql("analyze transfer_transitions").update();
    }

    /** The rail's statement, streamed: line i pays transfer i, with the faults described above. */
    private static final class Lines implements Iterator<StatementLine> {
        private final int n;
        private int i = 0;
        private boolean repeat;
        private StatementLine last;

        Lines(int n) {
            this.n = n;
        }

        @Override
        public boolean hasNext() {
            if (repeat) {
                return true;
            }
            while (i < n && (i + 1) % 1000 == 500) {
                i++; // missing at the rail
            }
            return i < n;
        }

        @Override
        public StatementLine next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            if (repeat) {
                repeat = false;
                return last;
            }
            i++;
            Instant at = DAY.plusMillis(i * 86L + 40);
            long amount = 1000 + i % 5000 + (i % 1000 == 100 ? 3 : 0); // drift
            String outcome = i % 1000 == 300 ? "RETURNED" : "SETTLED"; // late return
            String reference = i % 1000 == 900 ? "X" + i : "R" + i; // unknown to the ledger
            last = new StatementLine(reference, null, null, null, amount, "BRL", outcome.equals("RETURNED")
                    ? "DEVOLVIDO" : "CONCLUIDA", outcome, at, null,
                    "{\"endToEndId\":\"" + reference + "\",\"valor\":\"" + java.math.BigDecimal.valueOf(amount, 2)
                            .toPlainString() + "\"}");
            repeat = i % 1000 == 200; // duplicate
            return last;
        }
    }
}
