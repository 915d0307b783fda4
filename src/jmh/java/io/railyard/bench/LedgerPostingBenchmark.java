package io.railyard.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.railyard.ledger.AccountKey;
import io.railyard.ledger.AccountKind;
import io.railyard.ledger.CurrencyCode;
import io.railyard.ledger.EntryRequest;
import io.railyard.ledger.Ledger;
import io.railyard.ledger.Posted;
import io.railyard.outbox.AtCommit;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.flywaydb.core.Flyway;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.support.JdbcTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Throughput of the ledger's hot path: one "transfer hold", {@code Ledger.post(EntryRequest.move("transfer.hold", ref,
 * partner AVAILABLE, partner IN_FLIGHT, amount))}, i.e. one journal entry with two postings, in its own transaction,
 * against a real PostgreSQL.
 *
 * <ul>
 *   <li>{@code holdOwnPartner1Thread} / {@code holdOwnPartner8Threads}: every thread holds on its own partner's two
 *       accounts, so no two transactions wait for the same row lock.</li>
 *   <li>{@code holdSharedPartner8Threads}: all 8 threads hold on one partner's two accounts, so the
 *       {@code SELECT ... FOR UPDATE} serialises them (the row lock is held until commit).</li>
 * </ul>
 *
 * <p>The database: by default an embedded PostgreSQL (zonky, as the app starts it in the local profile), fresh for
 * every trial. With {@code -Dbench.db.url=jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres} a throwaway database
 * {@code railyard_bench} is created on that server instead (dropped first if left over, dropped after the trial).
 * Either way the schema comes from the project's Flyway migrations, and {@link Ledger} is wired the way Spring Boot
 * wires it (Hikari, {@link JdbcTemplate}, {@link JdbcClient}, {@link JdbcTransactionManager}), with each call wrapped
 * in a {@link TransactionTemplate} since there is no {@code @Transactional} proxy outside the application context.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 5, time = 5)
public class LedgerPostingBenchmark {

    static final long HOLD_MINOR = 100;
    static final long FUNDING_MINOR = 1_000_000_000_000_000L;
    static final CurrencyCode CURRENCY = CurrencyCode.USD;
    static final String BENCH_DATABASE = "railyard_bench";

    @Benchmark
    @Threads(1)
    public Posted holdOwnPartner1Thread(Database db, OwnPartner partner) {
        return db.hold(partner.available, partner.inFlight);
    }

    @Benchmark
    @Threads(8)
    public Posted holdOwnPartner8Threads(Database db, OwnPartner partner) {
        return db.hold(partner.available, partner.inFlight);
    }

    @Benchmark
    @Threads(8)
    public Posted holdSharedPartner8Threads(Database db) {
        return db.hold(db.sharedAvailable, db.sharedInFlight);
    }

    /** The database, the pool and the ledger: one per trial, shared by all benchmark threads. */
    @State(Scope.Benchmark)
    public static class Database {
        private EmbeddedPostgres embedded;
        private String adminUrl;
        private HikariDataSource dataSource;
        private TransactionTemplate transactions;
        private Ledger ledger;
        private final AtomicInteger partners = new AtomicInteger();
        AccountKey sharedAvailable;
        AccountKey sharedInFlight;

        @Setup(Level.Trial)
        public void start(BenchmarkParams params) throws Exception {
            String external = System.getProperty("bench.db.url", "");
            String url;
            if (!external.isBlank()) {
                adminUrl = external;
                try (Connection c = DriverManager.getConnection(adminUrl); Statement s = c.createStatement()) {
                    s.execute("drop database if exists " + BENCH_DATABASE + " with (force)");
                    s.execute("create database " + BENCH_DATABASE);
                }
                url = withDatabase(external, BENCH_DATABASE);
            } else {
                // As io.railyard.local.EmbeddedServers starts it for the app and the tests.
                embedded = EmbeddedPostgres.builder().setRegisterShutdownHook(false)
                        .setServerConfig("max_connections", "200").start();
                url = embedded.getJdbcUrl("postgres", "postgres");
            }
            // Flyway on its own connections: the pool below is sized to the benchmark threads.
            Flyway.configure().dataSource(url, null, null).locations("classpath:db/migration").load().migrate();
            HikariConfig config = new HikariConfig();
            config.setJdbcUrl(url);
            config.setMaximumPoolSize(params.getThreads());
            config.setMinimumIdle(params.getThreads());
            config.setPoolName("bench");
            dataSource = new HikariDataSource(config);

            JdbcTemplate template = new JdbcTemplate(dataSource);
            JdbcTransactionManager transactionManager = new JdbcTransactionManager(dataSource);
            JdbcClient jdbc = JdbcClient.create(template);
            ledger = new Ledger(jdbc, template, new AtCommit(jdbc), transactionManager);
            transactions = new TransactionTemplate(transactionManager);

            System.out.println("# " + Instant.now() + " bench database: " + describe(template)
                    + (embedded == null ? " (external: " + BENCH_DATABASE + " on " + redact(external) + ")"
                            : " (embedded zonky, port " + embedded.getPort() + ")")
                    + ", pool " + params.getThreads() + ", threads " + params.getThreads());

            sharedAvailable = AccountKey.partner("bench-shared", CURRENCY, AccountKind.AVAILABLE);
            sharedInFlight = AccountKey.partner("bench-shared", CURRENCY, AccountKind.IN_FLIGHT);
            prepare(sharedAvailable, sharedInFlight);
        }

        /** Funds the partner's AVAILABLE account and posts one hold, so both accounts exist before the warm-up. */
        void prepare(AccountKey available, AccountKey inFlight) {
            transactions.execute(status -> ledger.post(EntryRequest.move("deposit", "fund-" + available.ownerId(),
                    AccountKey.house(CURRENCY, AccountKind.FUNDING), available, FUNDING_MINOR)));
            hold(available, inFlight);
        }

        /** The measured operation: one transfer hold, two postings, one transaction. */
        Posted hold(AccountKey available, AccountKey inFlight) {
            EntryRequest request = EntryRequest.move("transfer.hold", UUID.randomUUID().toString(), available, inFlight,
                    HOLD_MINOR);
            Posted posted = transactions.execute(status -> ledger.post(request));
            if (posted == null || !posted.created()) {
                throw new IllegalStateException("hold " + request.reference() + " was not posted: " + posted);
            }
            return posted;
        }

        @TearDown(Level.Trial)
        public void stop() throws Exception {
            try {
                JdbcTemplate template = new JdbcTemplate(dataSource);
                Long holds = template.queryForObject(
                        "select count(*) from journal_entries where kind = 'transfer.hold'", Long.class);
                Long drifted = template.queryForObject("""
                        select count(*) from ledger_accounts a where a.balance_minor
                        <> coalesce((select sum(p.amount_minor) from postings p where p.account_id = a.id), 0)""",
                        Long.class);
                // JMH prints the last iteration's score after this (on the line below).
                System.out.println("\n# " + Instant.now() + " holds posted in this trial: " + holds
                        + "; accounts whose balance differs from their postings: " + drifted);
                if (drifted == null || drifted != 0) {
                    throw new IllegalStateException(drifted + " accounts' balance is not their postings' sum");
                }
            } finally {
                dataSource.close();
                if (embedded != null) {
                    embedded.close();
                } else {
                    try (Connection c = DriverManager.getConnection(adminUrl); Statement s = c.createStatement()) {
                        s.execute("drop database if exists " + BENCH_DATABASE + " with (force)");
                    }
                }
            }
        }

        private static String describe(JdbcTemplate template) {
            return template.queryForObject("select 'PostgreSQL ' || current_setting('server_version')"
                    + " || ', synchronous_commit=' || current_setting('synchronous_commit')"
                    + " || ', fsync=' || current_setting('fsync')"
                    + " || ', shared_buffers=' || current_setting('shared_buffers')", String.class);
        }
    }

    /** A partner of this thread's own: its two accounts are locked by no other thread. */
    @State(Scope.Thread)
    public static class OwnPartner {
        AccountKey available;
        AccountKey inFlight;

        @Setup(Level.Trial)
        public void fund(Database db) {
            String partnerId = "bench-partner-" + db.partners.incrementAndGet();
            available = AccountKey.partner(partnerId, CURRENCY, AccountKind.AVAILABLE);
            inFlight = AccountKey.partner(partnerId, CURRENCY, AccountKind.IN_FLIGHT);
            db.prepare(available, inFlight);
        }
    }

    /** The same JDBC URL naming another database of the same server (host, port and parameters kept). */
    static String withDatabase(String url, String database) {
        Matcher m = Pattern.compile("^(jdbc:postgresql://[^/?]*/)([^?]*)(\\?.*)?$").matcher(url);
        if (!m.matches()) {
            throw new IllegalArgumentException("bench.db.url is not jdbc:postgresql://host:port/db?params: " + url);
        }
        return m.group(1) + database + (m.group(3) == null ? "" : m.group(3));
    }

    private static String redact(String url) {
        return url.replaceAll("(?i)(password=)[^&]*", "$1***");
    }
}
