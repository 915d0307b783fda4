package io.railyard.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.railyard.TestPorts;
import io.railyard.ledger.LedgerInvariants;
import io.railyard.window.TestRailsTable;
import io.railyard.local.TestBroker;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.sql.DataSource;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.util.FileSystemUtils;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Keys;
import org.web3j.utils.Numeric;

/**
 * What hubs in child JVMs ({@link HubProcess}) share, as production hubs share their servers: one PostgreSQL, one
 * Kafka broker, and the rails. Both servers can be stopped and started again on their data and port, as in an outage.
 * The rails are the sandboxes of the hub this test JVM runs its other suites on ({@link ClusterSuite}), never
 * killed, so their record of what they executed is the witness that nothing was paid twice. That hub is shared, so
 * the witness counts only this cluster's payments: those keyed by its transfers and settlement-batch lines, and on
 * Base the transactions of a hot wallet of the cluster's own. Hubs run the {@code local} profile: the demo partner
 * key and the ops user {@code ops} exist in both.
 */
final class TestCluster implements AutoCloseable {

    static final String PARTNER_KEY = "ryk_demo_local_only_0000000000000000000000000";
    static final String OPS = "Basic " + Base64.getEncoder()
            .encodeToString("ops:ops-local-only".getBytes(StandardCharsets.UTF_8));
    static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> RAILS = List.of("pix", "spei", "circle", "base");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final Path postgresData;
    private final int postgresPort = TestPorts.free();
    private EmbeddedPostgres postgres;
    private final TestBroker kafka;
    private final String railsUrl;
    private final String railsOps;
    /** The Base hot wallet of this cluster's hubs: a fresh key, so the rail's count of its nonces is theirs alone. */
    private final Credentials wallet;
    final JdbcClient db;

    /** {@code railsUrl}: the test JVM's hub, whose sandboxes are the rails; {@code railsOps}: its ops authorization. */
    TestCluster(String railsUrl, String railsOps) throws Exception {
        this.railsUrl = railsUrl;
        this.railsOps = railsOps;
        wallet = Credentials.create(Keys.createEcKeyPair());
        for (String rail : RAILS) { // whatever an earlier suite set, the rails pay normally
            assertThat(send("DELETE", railsUrl + "/v1/ops/sandbox/" + rail + "/faults", railsOps, null, null)
                    .statusCode()).isLessThan(300);
        }
        postgresData = Files.createTempDirectory("railyard-cluster-postgres");
        postgres = startPostgres();
        kafka = TestBroker.start();
        // a connection per statement, to a fixed port: it works again as soon as a restarted server is up
        db = JdbcClient.create(postgres.getPostgresDatabase());
    }

    private EmbeddedPostgres startPostgres() throws IOException {
        return EmbeddedPostgres.builder().setDataDirectory(postgresData.resolve("data")).setCleanDataDirectory(false)
                .setPort(postgresPort).setServerConfig("max_connections", "300").start();
    }

    /** The database goes away: pg_ctl's fast shutdown, sessions cut and their open transactions rolled back. */
    void stopPostgres() throws IOException {
        postgres.close();
    }

    /** ...and comes back on the same data and port (crash recovery replays its WAL as after any restart). */
    void restartPostgres() throws IOException {
        postgres = startPostgres();
    }

    void stopKafka() {
        kafka.stop();
    }

    void restartKafka() {
        kafka.startAgain();
    }

    /** A hub (not started) on the shared servers, paying through the shared rails. */
    HubProcess hub() {
        return hub(Path.of(TestRailsTable.unbatched()));
    }

    /** A hub (not started) reading its settlement windows (and batching) from {@code railsTable}. */
    HubProcess hub(Path railsTable) {
        return new HubProcess(Path.of("target", "cluster-logs"), List.of("--spring.profiles.active=local",
                "--railyard.local.data-dir=", "--railyard.db.url=" + postgres.getJdbcUrl("postgres", "postgres"),
                "--railyard.db.username=postgres", "--railyard.kafka.brokers=" + kafka.brokers(),
                "--railyard.sandbox.enabled=false",
                "--railyard.connectors.pix.base-url=" + railsUrl + "/sandbox/pix",
                "--railyard.connectors.spei.base-url=" + railsUrl + "/sandbox/spei",
                "--railyard.connectors.circle-usdc.base-url=" + railsUrl + "/sandbox/circle",
                "--railyard.connectors.base-usdc.rpc-url=" + railsUrl + "/sandbox/base/rpc",
                "--railyard.connectors.base-usdc.private-key="
                        + Numeric.toHexStringNoPrefixZeroPadded(wallet.getEcKeyPair().getPrivateKey(), 64),
                // an outage on a loaded machine can double the pause before asking a rail again past the suites'
                // minutes of settling: it is capped well within them
                "--railyard.settlement.recheck-after=PT2S", "--railyard.settlement.recheck-max-pause=PT20S",
                "--railyard.windows.table=" + railsTable.toAbsolutePath(),
                "--logging.level.root=WARN"));
    }

    static HttpResponse<String> send(String method, String url, String authorization, String key, String body)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20))
                .header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        if (key != null) {
            request.header("Idempotency-Key", key);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    static String write(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The invariants after a scenario: every transfer final and SETTLED, the ledger balanced, what the partner lost
     * equal to what settled, and each transfer executed exactly once by its rail. Returns the transfers counted.
     */
    long assertEverythingSettledOnce() throws IOException, InterruptedException {
        assertThat(db.sql("select distinct status from transfers").query(String.class).list()).containsExactly("SETTLED");
        LedgerInvariants.assertHold(db);
        Map<String, Long> settledByCurrency = new HashMap<>();
        db.sql("select source_currency, sum(source_amount_minor) from transfers group by source_currency")
                .query((rs, n) -> settledByCurrency.put(rs.getString(1), rs.getLong(2))).list();
        db.sql("""
                select a.currency, -sum(p.amount_minor) from postings p join ledger_accounts a on a.id = p.account_id
                join journal_entries e on e.id = p.entry_id
                where a.owner_type = 'PARTNER' and e.kind <> 'deposit' group by a.currency""")
                .query((rs, n) -> assertThat(rs.getLong(2)).as("partner debits in " + rs.getString(1))
                        .isEqualTo(settledByCurrency.getOrDefault(rs.getString(1), 0L))).list();
        // this cluster's payments at the rails: keyed by its transfers and lines, each executed once...
        List<String> lines = db.sql("select line_key::text from settlement_batch_lines").query(String.class).list();
        List<String> ours = new ArrayList<>(lines);
        ours.addAll(db.sql("select id::text from transfers").query(String.class).list());
        Map<String, JsonNode> atRails = new HashMap<>();
        long executed = 0;
        for (String rail : List.of("pix", "spei", "circle")) {
            atRails.put(rail, executions(rail));
            JsonNode byKey = atRails.get(rail).get("by_key");
            for (String id : ours) {
                int count = byKey.path(railKey(rail, id)).asInt();
                assertThat(count).as("executions of " + id + " on " + rail).isLessThanOrEqualTo(1);
                executed += count;
            }
        }
        // ...and on Base its wallet's transactions: the rail refuses a nonce twice, so a second payment of a transfer
        // would be one more
        executed += baseTransactions();
        // a transfer of a settlement batch is paid by its line (a netted line pays several), each batch in one bulk
        // request: the rail executed each line key and each batch once, and no batched transfer on its own
        JsonNode circle = atRails.get("circle");
        List<String> batched = db.sql("select transfer_id::text from settlement_batch_items").query(String.class).list();
        batched.forEach(id -> assertThat(circle.get("by_key").has(id)).as("batched transfer " + id + " paid alone")
                .isFalse());
        lines.forEach(line -> assertThat(circle.get("by_key").path(line).asInt()).as("executions of line " + line)
                .isEqualTo(1));
        db.sql("select id::text from settlement_batches").query(String.class).list().forEach(batch ->
                assertThat(circle.path("by_batch").path(batch).asInt()).as("executions of batch " + batch).isEqualTo(1));
        assertThat(executed).isEqualTo(db.sql("select count(*) from transfers").query(Long.class).single()
                - batched.size() + lines.size());
        return executed;
    }

    /** The key a rail knows a payment by: the connector's idempotency key, made of the transfer's (or line's) id. */
    private static String railKey(String rail, String id) {
        String compact = id.replace("-", "");
        return switch (rail) {
            case "pix" -> compact; // idEnvio
            case "spei" -> "RY" + compact.substring(0, 28).toUpperCase(Locale.ROOT); // claveRastreo
            default -> id; // Circle's idempotencyKey
        };
    }

    /** The transactions the Base rail took from this cluster's wallet: its next nonce, as the rail counts them. */
    private long baseTransactions() throws IOException, InterruptedException {
        String call = write(Map.of("jsonrpc", "2.0", "id", 1, "method", "eth_getTransactionCount",
                "params", List.of(wallet.getAddress(), "latest")));
        JsonNode answer = JSON.readTree(send("POST", railsUrl + "/sandbox/base/rpc", null, null, call).body());
        return Numeric.toBigInt(answer.get("result").asText()).longValueExact();
    }

    /** What the rail's sandbox executed: {@code by_key} (payouts and lines) and {@code by_batch} (bulk requests). */
    private JsonNode executions(String rail) throws IOException, InterruptedException {
        return JSON.readTree(send("GET", railsUrl + "/v1/ops/sandbox/" + rail + "/executions", railsOps, null, null)
                .body());
    }

    /** The hubs' database (a new connection per statement): for reading what the hubs keep there. */
    DataSource dataSource() {
        return postgres.getPostgresDatabase();
    }

    long count(String sql) {
        return db.sql(sql).query(Long.class).single();
    }

    @Override
    public void close() throws IOException {
        kafka.close();
        postgres.close();
        FileSystemUtils.deleteRecursively(postgresData);
    }
}
