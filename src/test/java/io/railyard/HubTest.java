package io.railyard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.railyard.ledger.AccountKey;
import io.railyard.ledger.AccountKind;
import io.railyard.ledger.CurrencyCode;
import io.railyard.ledger.EntryRequest;
import io.railyard.ledger.Ledger;
import io.railyard.ops.OpsUsers;
import io.railyard.partner.Partners;
import io.railyard.window.TestRailsTable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.support.DefaultExchange;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.autoconfigure.actuate.observability.AutoConfigureObservability;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Base of the end-to-end tests: the whole hub on a random port, with its own embedded PostgreSQL and Kafka. Every
 * test class extending it shares one running hub (Spring's context cache), so tests create their own partners. The
 * port is chosen before start-up because the connectors' sandbox URLs are built from {@code server.port}; a class
 * adding properties of its own gets a hub of its own, on a port of its own.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.DEFINED_PORT)
@AutoConfigureObservability
public abstract class HubTest {

    protected static final String OPS_USER = "ops-test";
    protected static final String OPS_PASSWORD = "ops-test-password";
    protected static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @LocalServerPort
    protected int port;
    @Autowired
    protected JdbcClient jdbc;
    @Autowired
    protected Ledger ledger;
    @Autowired
    protected Partners partners;
    @Autowired
    protected OpsUsers opsUsers;

    @DynamicPropertySource
    static void serverPort(DynamicPropertyRegistry registry) {
        int port = TestPorts.free(); // called once per hub started
        registry.add("server.port", () -> port);
        // rail faults cost seconds, not minutes: short client timeouts, a shorter injected hang, quick rechecks
        registry.add("railyard.sandbox.timeout-sleep-ms", () -> "1500");
        for (String rail : new String[] {"pix", "spei", "circle-usdc", "base-usdc"}) {
            registry.add("railyard.connectors." + rail + ".timeout-ms", () -> "500");
        }
        registry.add("railyard.settlement.recheck-after", () -> "PT1S");
        registry.add("railyard.settlement.redelivery-delay-ms", () -> "50");
        registry.add("railyard.settlement.queue-when-unavailable-for", () -> "PT1S");
        registry.add("railyard.returns.watch-for", () -> "PT15S"); // late returns are watched for 15 s...
        registry.add("railyard.returns.watch-interval", () -> "PT1S"); // ...at 1, 1, 2, 4 and 8 s after settling
        registry.add("railyard.webhooks.time-compression", () -> "20000"); // webhook retry day (~24.5 h) in ~4.4 s
        // rails pay one transfer at a time unless a suite batches them (SettlementBatchTest edits this table)
        registry.add("railyard.windows.table", TestRailsTable::unbatched);
    }

    /** A fresh partner with a key, funded with {@code funds} of each given currency. */
    protected TestPartner newPartner(String... funds) {
        Partners.Partner partner = partners.create("p-" + UUID.randomUUID().toString().substring(0, 12));
        TestPartner created = new TestPartner(partner.id(), partners.issueKey(partner.id()).key());
        for (String fund : funds) {
            String[] parts = fund.split(" ");
            fund(created, CurrencyCode.valueOf(parts[1]), new BigDecimal(parts[0]));
        }
        return created;
    }

    protected void fund(TestPartner partner, CurrencyCode currency, BigDecimal amount) {
        ledger.post(EntryRequest.move("deposit", "test-" + UUID.randomUUID(), AccountKey.house(currency,
                AccountKind.FUNDING), partner.account(currency, AccountKind.AVAILABLE), currency.toMinor(amount)));
    }

    /** The name a rail's sandbox has under {@code /v1/ops/sandbox/} (its faults and executions). */
    protected static String sandbox(String rail) {
        return rail.equals("circle-usdc") ? "circle" : rail.equals("base-usdc") ? "base" : rail;
    }

    protected String opsAuthorization() {
        opsUsers.save(OPS_USER, OPS_PASSWORD);
        return "Basic " + Base64.getEncoder().encodeToString((OPS_USER + ":" + OPS_PASSWORD)
                .getBytes(StandardCharsets.UTF_8));
    }

    protected Call call(String method, String path) {
        return new Call(method, path);
    }

    /** POST /v1/transfers with a fresh Idempotency-Key, expecting 201: the new transfer's id. */
    protected String createTransfer(TestPartner partner, Map<String, Object> body) {
        Reply reply = call("POST", "/v1/transfers").as(partner).header("Idempotency-Key", UUID.randomUUID().toString())
                .json(body).send();
        if (reply.status() != 201) {
            throw new AssertionError("expected 201 Created, got " + reply);
        }
        return reply.json().get("id").asText();
    }

    /** A Kafka poll as a stage consuming in batching mode gets it: one exchange per record, its value the body. */
    public static List<Exchange> records(CamelContext camel, String... bodies) {
        return Stream.of(bodies).map(body -> {
            Exchange record = new DefaultExchange(camel);
            record.getMessage().setBody(body);
            return record;
        }).toList();
    }

    public record TestPartner(UUID id, String key) {
        public AccountKey account(CurrencyCode currency, AccountKind kind) {
            return AccountKey.partner(id.toString(), currency, kind);
        }

        public String bearer() {
            return "Bearer " + key;
        }
    }

    /** One HTTP call to the running hub. */
    public final class Call {
        private final HttpRequest.Builder request;
        private final String method;
        private HttpRequest.BodyPublisher body = HttpRequest.BodyPublishers.noBody();

        private Call(String method, String path) {
            this.method = method;
            this.request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
                    .timeout(Duration.ofSeconds(30));
        }

        public Call header(String name, String value) {
            request.header(name, value);
            return this;
        }

        public Call as(TestPartner partner) {
            return header("Authorization", partner.bearer());
        }

        public Call asOps() {
            return header("Authorization", opsAuthorization());
        }

        public Call json(Object body) {
            try {
                String text = body instanceof String s ? s : JSON.writeValueAsString(body);
                this.body = HttpRequest.BodyPublishers.ofString(text);
                return header("Content-Type", "application/json");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        public Call body(String contentType, String text) {
            this.body = HttpRequest.BodyPublishers.ofString(text);
            return header("Content-Type", contentType);
        }

        public Reply send() {
            try {
                HttpResponse<String> response = HTTP.send(request.method(method, body).build(),
                        HttpResponse.BodyHandlers.ofString());
                return new Reply(response);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    public record Reply(HttpResponse<String> response) {
        public int status() {
            return response.statusCode();
        }

        public String body() {
            return response.body();
        }

        public String contentType() {
            return response.headers().firstValue("Content-Type").orElse("");
        }

        public String header(String name) {
            return response.headers().firstValue(name).orElse(null);
        }

        public JsonNode json() {
            try {
                return JSON.readTree(response.body());
            } catch (IOException e) {
                throw new UncheckedIOException("not JSON: " + response.body(), e);
            }
        }

        @Override
        public String toString() {
            return response.statusCode() + " " + response.body();
        }
    }
}
