package io.railyard.crash;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.railyard.RailyardApplication;
import io.railyard.ledger.LedgerInvariants;
import io.railyard.transfer.TransferFixtures;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/**
 * kill -9 of the hub while partners are sending transfers and batches, several times, then recovery.
 *
 * <p>The hub runs in a child JVM ({@link HubProcess}) on a PostgreSQL and a Kafka broker owned by this test, which
 * outlive it as real servers outlive a crashed application. The rails it pays through run in a separate hub (this
 * JVM, never killed), so their memory of what they executed survives the crashes: it is the witness that no transfer
 * was paid twice. Every request whose answer was lost to a crash is sent again with the same Idempotency-Key, as a
 * partner would; then every transfer must settle exactly once and the ledger must balance.
 */
class CrashRecoveryTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final String PARTNER_KEY = "ryk_demo_local_only_0000000000000000000000000";
    private static final String OPS = "Basic " + Base64.getEncoder()
            .encodeToString("ops:ops-local-only".getBytes(StandardCharsets.UTF_8));
    private static final Set<String> FINAL = Set.of("SETTLED", "FAILED", "RETURNED", "CANCELLED");
    private static final int CRASHES = 3;
    private static final int BATCH_SIZE = 10;

    private static EmbeddedPostgres postgres;
    private static EmbeddedKafkaKraftBroker kafka;
    private static ConfigurableApplicationContext rails;
    private static String railsUrl;
    private static JdbcClient ledgerDb;

    /** Every request sent, by Idempotency-Key, and the id of what it created once it was answered with 201. */
    private final Map<String, Request> sent = new ConcurrentHashMap<>();
    private final Map<String, String> created = new ConcurrentHashMap<>();
    private final AtomicLong lostAnswers = new AtomicLong();

    record Request(String path, String body) {
        boolean batch() {
            return path.endsWith("/batch");
        }
    }

    @BeforeAll
    static void servers() {
        postgres = start(() -> EmbeddedPostgres.builder().setServerConfig("max_connections", "200").start());
        kafka = new EmbeddedKafkaKraftBroker(1, 3);
        kafka.brokerProperty("auto.create.topics.enable", "true");
        kafka.brokerProperty("num.partitions", "3");
        kafka.afterPropertiesSet();
        int railsPort = HubProcess.freePort();
        railsUrl = "http://localhost:" + railsPort;
        rails = new SpringApplicationBuilder(RailyardApplication.class).run("--spring.profiles.active=local",
                "--server.port=" + railsPort, "--railyard.local.data-dir=", "--logging.level.root=WARN");
        ledgerDb = JdbcClient.create(postgres.getPostgresDatabase());
    }

    @AfterAll
    static void stopServers() throws IOException {
        if (rails != null) {
            rails.close();
        }
        if (kafka != null) {
            kafka.destroy();
        }
        if (postgres != null) {
            postgres.close();
        }
    }

    @Test
    void transfersAndBatchesSurviveRepeatedKillsWithEveryTransferPaidExactlyOnce() throws Exception {
        Random random = new Random(20261125);
        try (HubProcess hub = new HubProcess(Path.of("target", "crash-logs"), hubArguments())) {
            for (int crash = 0; crash < CRASHES; crash++) {
                hub.start(Duration.ofMinutes(3));
                sendUntilKilled(hub, 1500 + random.nextInt(3000));
            }
            hub.start(Duration.ofMinutes(3));

            // the partner retries every request whose answer it lost (or that failed while the hub was going down)
            for (Map.Entry<String, Request> request : sent.entrySet()) {
                if (!created.containsKey(request.getKey())) {
                    HttpResponse<String> answer = post(hub, request.getKey(), request.getValue());
                    assertThat(answer.statusCode()).as(answer.body()).isEqualTo(201);
                    created.put(request.getKey(), JSON.readTree(answer.body()).get("id").asText());
                }
            }
            // and a replay of an answered request gives the same answer, even across crashes
            for (String key : sent.keySet().stream().limit(50).toList()) {
                HttpResponse<String> replay = post(hub, key, sent.get(key));
                assertThat(JSON.readTree(replay.body()).get("id").asText()).isEqualTo(created.get(key));
            }

            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1)).until(() -> ledgerDb
                    .sql("select count(*) from transfers where status not in ('SETTLED', 'FAILED', 'RETURNED', 'CANCELLED')")
                    .query(Long.class).single() == 0);
            await().atMost(Duration.ofMinutes(1)).until(() -> ledgerDb
                    .sql("select count(*) from outbox_events where published_at is null").query(Long.class).single() == 0);
        }
        assertInvariants();
    }

    private void assertInvariants() throws Exception {
        long singles = sent.values().stream().filter(r -> !r.batch()).count();
        long batches = sent.size() - singles;
        assertThat(lostAnswers.get()).as("requests cut by the crashes (the test must really crash mid-work)").isPositive();
        assertThat(new HashSet<>(created.values())).as("one creation per Idempotency-Key").hasSize(sent.size());
        assertThat(ledgerDb.sql("select count(*) from transfers where batch_id is null").query(Long.class).single())
                .as("single transfers: exactly one per key").isEqualTo(singles);
        assertThat(ledgerDb.sql("select count(*) from batches").query(Long.class).single()).isEqualTo(batches);
        assertThat(ledgerDb.sql("select count(*) from transfers where batch_id is not null").query(Long.class).single())
                .as("batch items: exactly one transfer each").isEqualTo(batches * BATCH_SIZE);
        assertThat(ledgerDb.sql("select count(*) from batches where status <> 'COMPLETED'").query(Long.class).single())
                .as("batches completed").isZero();
        assertThat(ledgerDb.sql("select distinct status from transfers").query(String.class).list())
                .containsExactly("SETTLED");
        LedgerInvariants.assertHold(ledgerDb);

        // what the partner lost from its balance is exactly what settled: nothing paid twice, nothing lost
        Map<String, Long> settledByCurrency = new HashMap<>();
        ledgerDb.sql("select source_currency, sum(source_amount_minor) from transfers group by source_currency")
                .query((rs, n) -> settledByCurrency.put(rs.getString(1), rs.getLong(2))).list();
        ledgerDb.sql("""
                select a.currency, -sum(p.amount_minor) from postings p join ledger_accounts a on a.id = p.account_id
                join journal_entries e on e.id = p.entry_id
                where a.owner_type = 'PARTNER' and e.kind <> 'deposit' group by a.currency""")
                .query((rs, n) -> assertThat(rs.getLong(2)).as("partner debits in " + rs.getString(1))
                        .isEqualTo(settledByCurrency.getOrDefault(rs.getString(1), 0L))).list();

        // the rails' own records: every transfer executed exactly once
        long executed = 0;
        for (String rail : List.of("pix", "spei", "circle", "base")) {
            JsonNode executions = JSON.readTree(get(railsUrl + "/v1/ops/sandbox/" + rail + "/executions").body());
            executions.get("by_key").forEach(count -> assertThat(count.asInt()).as("executions per key on " + rail)
                    .isEqualTo(1));
            executed += executions.get("by_key").size();
        }
        assertThat(executed).isEqualTo(ledgerDb.sql("select count(*) from transfers").query(Long.class).single());
        System.out.printf("Crash recovery: %d kills, %d requests (%d batches), %d answers lost to a kill, %d transfers "
                + "settled, each executed once by its rail%n", CRASHES, sent.size(), batches, lostAnswers.get(), executed);
    }

    /** Four partners' worth of traffic until the hub is killed {@code killAfterMs} into it. */
    private void sendUntilKilled(HubProcess hub, long killAfterMs) throws Exception {
        AtomicBoolean sending = new AtomicBoolean(true);
        AtomicLong sequence = new AtomicLong();
        ExecutorService senders = Executors.newFixedThreadPool(4);
        for (int t = 0; t < 4; t++) {
            senders.submit(() -> {
                while (sending.get()) {
                    long n = sequence.incrementAndGet();
                    String key = UUID.randomUUID().toString();
                    Request request = n % 15 == 0 ? new Request("/v1/transfers/batch", batch(n))
                            : new Request("/v1/transfers", write(transfer(n)));
                    sent.put(key, request);
                    try {
                        HttpResponse<String> answer = post(hub, key, request);
                        if (answer.statusCode() == 201) {
                            created.put(key, JSON.readTree(answer.body()).get("id").asText());
                        }
                    } catch (IOException lost) {
                        lostAnswers.incrementAndGet();
                    }
                }
                return null;
            });
        }
        Thread.sleep(killAfterMs);
        hub.kill();
        sending.set(false);
        senders.shutdown();
        assertThat(senders.awaitTermination(1, TimeUnit.MINUTES)).isTrue();
    }

    private static Map<String, Object> transfer(long n) {
        Map<String, Object> body = switch ((int) (n % 4)) {
            case 0 -> TransferFixtures.pix("1.25");
            case 1 -> TransferFixtures.spei("3.50");
            case 2 -> TransferFixtures.base("0.750000");
            default -> TransferFixtures.circle("0.500000");
        };
        body.put("reference", "crash-" + n);
        return body;
    }

    private static String batch(long n) {
        List<Map<String, Object>> items = new ArrayList<>();
        for (int i = 0; i < BATCH_SIZE; i++) {
            Map<String, Object> item = transfer(n * 100 + i);
            item.put("reference", "crash-batch-" + n + "-" + i);
            items.add(item);
        }
        return write(Map.of("items", items));
    }

    private static List<String> hubArguments() {
        return List.of("--spring.profiles.active=local", "--railyard.local.data-dir=",
                "--railyard.db.url=" + postgres.getJdbcUrl("postgres", "postgres"), "--railyard.db.username=postgres",
                "--railyard.kafka.brokers=" + kafka.getBrokersAsString(), "--railyard.sandbox.enabled=false",
                "--railyard.connectors.pix.base-url=" + railsUrl + "/sandbox/pix",
                "--railyard.connectors.spei.base-url=" + railsUrl + "/sandbox/spei",
                "--railyard.connectors.circle-usdc.base-url=" + railsUrl + "/sandbox/circle",
                "--railyard.connectors.base-usdc.rpc-url=" + railsUrl + "/sandbox/base/rpc",
                "--railyard.settlement.recheck-after=PT2S", "--logging.level.root=WARN");
    }

    private static HttpResponse<String> post(HubProcess hub, String key, Request request)
            throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(hub.url() + request.path())).timeout(Duration.ofSeconds(20))
                .header("Authorization", "Bearer " + PARTNER_KEY).header("Idempotency-Key", key)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(request.body()))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(String url) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", OPS).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String write(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private interface Starter<T> {
        T start() throws IOException;
    }

    private static <T> T start(Starter<T> starter) {
        try {
            return starter.start();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
