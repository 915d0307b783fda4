package io.railyard.bench;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import io.railyard.batch.BatchCsv;
import io.railyard.batch.BatchItem;
import io.railyard.batch.BatchValidator;
import io.railyard.ledger.AccountKey;
import io.railyard.ledger.AccountKind;
import io.railyard.ledger.CurrencyCode;
import io.railyard.ledger.EntryRequest;
import io.railyard.ledger.Ledger;
import io.railyard.outbox.AtCommit;
import io.railyard.routing.RoutingTable;
import io.railyard.transfer.Protocol;
import io.railyard.transfer.Transfer;
import io.railyard.transfer.TransferFixtures;
import io.railyard.transfer.TransferRequest;
import io.railyard.transfer.TransferStatus;
import io.railyard.transfer.TransferValidator;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.camel.impl.DefaultCamelContext;
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
import org.openjdk.jmh.annotations.Warmup;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.SingleConnectionDataSource;
import org.springframework.jdbc.support.JdbcTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Latency of the in-process hot paths, sampled (JMH {@code SampleTime} gives percentiles):
 * <ul>
 *   <li>{@code routingDecision}: the routing table (config/routing.yaml) choosing the rail of a transfer, cycling
 *       through BRL, MXN, USDC on Base and Circle, and USD.</li>
 *   <li>{@code validateJsonBatchOf1000} / {@code validateCsvBatchOf1000}: what {@code POST /v1/transfers/batch} does
 *       before it writes anything: read 1,000 items (JSON with the API's mapper settings, or CSV with camel-csv), check
 *       every item and the partner's balance for the total ({@link BatchValidator#check}, balances read from a real
 *       embedded PostgreSQL).</li>
 * </ul>
 */
@BenchmarkMode(Mode.SampleTime)
@Fork(1)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
public class HotPathBenchmark {

    @Benchmark
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public Object routingDecision(Routing routing) {
        return routing.table.decide(routing.next());
    }

    @Benchmark
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public BatchValidator.Checked validateJsonBatchOf1000(Batch batch) throws Exception {
        List<TransferRequest> requests = batch.json.readValue(batch.jsonBody, Items.class).items();
        List<BatchItem> items = new ArrayList<>(requests.size());
        for (int i = 0; i < requests.size(); i++) {
            items.add(new BatchItem(i, null, requests.get(i)));
        }
        return batch.checked(items);
    }

    @Benchmark
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public BatchValidator.Checked validateCsvBatchOf1000(Batch batch) {
        return batch.checked(batch.csv.parse(batch.csvBody));
    }

    record Items(List<TransferRequest> items) {
    }

    @State(Scope.Thread)
    public static class Routing {
        RoutingTable table;
        Transfer[] transfers;
        int next;

        @Setup
        public void load() {
            table = new RoutingTable(Path.of("config/routing.yaml"), rail -> true);
            transfers = new Transfer[] {transfer(CurrencyCode.BRL, "BR", Map.of("pix_key", "52998224725")),
                    transfer(CurrencyCode.MXN, "MX", Map.of("clabe", TransferFixtures.CLABE)),
                    transfer(CurrencyCode.USDC, null, Map.of("network", "base", "address", TransferFixtures.BASE_ADDRESS)),
                    transfer(CurrencyCode.USDC, null, Map.of("network", "circle", "circle_wallet_id", "1000216185")),
                    transfer(CurrencyCode.USD, "US", Map.of("circle_recipient_id", UUID.randomUUID().toString()))};
            for (Transfer transfer : transfers) {
                if (table.decide(transfer).isEmpty()) {
                    throw new IllegalStateException("config/routing.yaml has no rail for " + transfer);
                }
            }
        }

        Transfer next() {
            next = next == transfers.length - 1 ? 0 : next + 1;
            return transfers[next];
        }

        private static Transfer transfer(CurrencyCode currency, String country, Map<String, Object> beneficiary) {
            return new Transfer(UUID.randomUUID(), UUID.randomUUID(), TransferStatus.ACCEPTED, Protocol.API, currency,
                    10_000, currency, 10_000, country, beneficiary, Map.of(), Map.of(), "bench", null, null, null, null,
                    null, null, null, null, null, Instant.now(), Instant.now());
        }
    }

    @State(Scope.Benchmark)
    public static class Batch {
        EmbeddedPostgres postgres;
        DefaultCamelContext camel;
        BatchValidator validator;
        BatchCsv csv;
        ObjectMapper json;
        UUID partner = UUID.randomUUID();
        byte[] jsonBody;
        byte[] csvBody;

        @Setup(Level.Trial)
        public void start() throws Exception {
            postgres = EmbeddedPostgres.builder().setRegisterShutdownHook(false).start();
            Flyway.configure().dataSource(postgres.getPostgresDatabase()).locations("classpath:db/migration").load()
                    .migrate();
            SingleConnectionDataSource dataSource = new SingleConnectionDataSource(
                    postgres.getJdbcUrl("postgres", "postgres"), true);
            JdbcTemplate template = new JdbcTemplate(dataSource);
            JdbcClient jdbc = JdbcClient.create(template);
            JdbcTransactionManager transactions = new JdbcTransactionManager(dataSource);
            Ledger ledger = new Ledger(jdbc, template, new AtCommit(jdbc), transactions);
            TransactionTemplate inTransaction = new TransactionTemplate(transactions);
            for (CurrencyCode currency : CurrencyCode.values()) {
                inTransaction.executeWithoutResult(status -> ledger.post(EntryRequest.move(
                        "deposit", "bench-" + currency, AccountKey.house(currency, AccountKind.FUNDING),
                        AccountKey.partner(partner.toString(), currency, AccountKind.AVAILABLE),
                        currency.toMinor(new java.math.BigDecimal("100000000")))));
            }
            validator = new BatchValidator(new TransferValidator(), ledger, 1000);
            camel = new DefaultCamelContext();
            camel.start();
            csv = new BatchCsv(camel);
            json = new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                    .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                    .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
            List<Map<String, Object>> items = new ArrayList<>();
            StringBuilder rows = new StringBuilder(String.join(",", BatchCsv.COLUMNS)).append('\n');
            for (int i = 0; i < 1000; i++) {
                Map<String, Object> item = switch (i % 4) {
                    case 0 -> TransferFixtures.x402(TransferFixtures.pix("10.00"));
                    case 1 -> TransferFixtures.spei("25.00");
                    case 2 -> TransferFixtures.base("5.000000");
                    default -> TransferFixtures.circle("5.000000");
                };
                item.put("reference", "bench-" + i);
                items.add(item);
                rows.append(csvRow(item)).append('\n');
            }
            jsonBody = json.writeValueAsBytes(Map.of("items", items));
            csvBody = rows.toString().getBytes(StandardCharsets.UTF_8);
            for (BatchValidator.Checked checked : List.of(validateJson(), checked(csv.parse(csvBody)))) {
                if (!checked.errors().isEmpty() || checked.valid().size() != 1000) {
                    throw new IllegalStateException("the benchmark batch is not valid: " + checked.errors());
                }
            }
        }

        BatchValidator.Checked checked(List<BatchItem> items) {
            return validator.check(partner, items);
        }

        private BatchValidator.Checked validateJson() throws Exception {
            return new HotPathBenchmark().validateJsonBatchOf1000(this);
        }

        /** One CSV row in the template's column order; a column the item lacks stays empty. */
        @SuppressWarnings("unchecked")
        private static String csvRow(Map<String, Object> item) {
            Map<String, Object> destination = (Map<String, Object>) item.get("destination");
            List<String> cells = new ArrayList<>();
            for (String column : BatchCsv.COLUMNS) {
                Object value = switch (column) {
                    case "destination_currency" -> destination.get("currency");
                    case "destination_country" -> destination.get("country");
                    case "protocol_metadata", "metadata" -> null;
                    default -> item.containsKey(column) ? item.get(column) : destination.get(column);
                };
                cells.add(value == null ? "" : '"' + value.toString().replace("\"", "\"\"") + '"');
            }
            return String.join(",", cells);
        }

        @TearDown(Level.Trial)
        public void stop() throws Exception {
            camel.stop();
            postgres.close();
        }
    }
}
