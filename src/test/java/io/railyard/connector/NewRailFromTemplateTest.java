package io.railyard.connector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.railyard.HubTest;
import io.railyard.RailyardApplication;
import io.railyard.TestPorts;
import io.railyard.ledger.AccountKey;
import io.railyard.ledger.AccountKind;
import io.railyard.ledger.CurrencyCode;
import io.railyard.ledger.EntryRequest;
import io.railyard.ledger.Ledger;
import io.railyard.ledger.LedgerInvariants;
import io.railyard.ops.OpsUsers;
import io.railyard.partner.Partners;
import io.railyard.refund.RefundStatus;
import io.railyard.refund.Refunds;
import io.railyard.settlement.SettlementStage;
import io.railyard.transfer.Transfer;
import io.railyard.transfer.TransferStatus;
import io.railyard.transfer.Transfers;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.camel.CamelContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * Adding a rail needs no Java change: connectors/_template copied as two new rails, "acme-pay" and "acme-backup" (with
 * `template` replaced by the rail's name, as its README says), routing rules pointing at them, in a freshly started
 * hub. A transfer settles through acme-pay and is partly refunded and reconciled; transfers acme-pay refuses with a
 * failure code its connector lists under {@code reroute-on} move to their fallback rail, acme-backup, and only those;
 * a payout acme-pay returns in part gives that part back once.
 */
class NewRailFromTemplateTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String OPS = "Basic " + Base64.getEncoder().encodeToString(
            "ops-new-rail:ops-new-rail-password".getBytes(StandardCharsets.UTF_8));

    @TempDir
    static Path home;
    private static ConfigurableApplicationContext hub;
    private static int port;
    private static String partnerKey;
    private static Partners.Partner partner;
    private static Ledger ledger;
    private static Transfers transfers;

    @BeforeAll
    static void startHubWithTwoTemplateRails() throws Exception {
        copyTree(Path.of("routes"), home.resolve("routes"));
        copyTree(Path.of("connectors"), home.resolve("connectors"));
        for (String name : List.of("acme-pay", "acme-backup")) {
            Path rail = Files.createDirectories(home.resolve("connectors/" + name));
            for (String file : new String[] {"connector.yaml", "payout.camel.yaml", "refund.camel.yaml",
                    "statement.camel.yaml"}) {
                Files.writeString(rail.resolve(file),
                        Files.readString(Path.of("connectors/_template", file)).replace("template", name));
            }
        }
        Files.createDirectories(home.resolve("config"));
        Files.copy(Path.of("config/rails.yaml"), home.resolve("config/rails.yaml"));
        Files.copy(Path.of("config/treasury.yaml"), home.resolve("config/treasury.yaml"));
        Files.writeString(home.resolve("config/routing.yaml"), """
                rules:
                  - name: mxn-acme
                    match: {currency: MXN}
                    rail: acme-pay
                  - name: brl-acme-with-backup
                    match: {currency: BRL}
                    rail: acme-pay
                    fallback: acme-backup
                """);
        port = TestPorts.free();
        List<String> args = new ArrayList<>(List.of("--railyard.home=" + home, "--server.port=" + port,
                "--camel.main.name=railyard-new-rail",
                // Quartz registers its data sources JVM-wide by scheduler name: another name, or closing this hub
                // would leave the shared test hub's scheduler with a closed pool
                "--spring.quartz.scheduler-name=railyard-new-rail",
                // settled transfers are watched for returns every second for 20 s
                "--railyard.settlement.recheck-after=PT1S", "--railyard.returns.watch-interval=PT1S",
                "--railyard.returns.watch-for=PT20S"));
        for (String name : List.of("acme-pay", "acme-backup")) {
            args.add("--railyard.connectors." + name + ".base-url=http://localhost:" + port + "/sandbox/template/" + name);
            args.add("--railyard.connectors." + name + ".api-key=" + name + "-sandbox-key");
        }
        hub = new SpringApplicationBuilder(RailyardApplication.class).run(args.toArray(String[]::new));
        ledger = hub.getBean(Ledger.class);
        transfers = hub.getBean(Transfers.class);
        hub.getBean(OpsUsers.class).save("ops-new-rail", "ops-new-rail-password");
        Partners partners = hub.getBean(Partners.class);
        partner = partners.create("new-rail-" + UUID.randomUUID());
        partnerKey = partners.issueKey(partner.id()).key();
        for (CurrencyCode currency : List.of(CurrencyCode.MXN, CurrencyCode.BRL)) {
            ledger.post(EntryRequest.move("deposit", "new-rail-" + currency, AccountKey.house(currency,
                    AccountKind.FUNDING), account(currency, AccountKind.AVAILABLE), 10_000));
        }
    }

    @AfterAll
    static void stopHub() {
        if (hub != null) {
            hub.close();
        }
    }

    @BeforeEach
    void railsWithoutFaults() throws Exception {
        for (String rail : List.of("acme-pay", "acme-backup")) {
            assertThat(send("DELETE", "/v1/ops/sandbox/" + rail + "/faults", OPS, null).statusCode()).isEqualTo(204);
        }
    }

    @Test
    void aRailCopiedFromTheTemplateSettlesRefundsAndReconcilesATransfer() throws Exception {
        Instant submitted = Instant.now().minusSeconds(120);
        UUID id = transfer("""
                {"amount": "42.00", "currency": "MXN", "reference": "acme-1",
                 "destination": {"currency": "MXN", "clabe": "032180000118359719", "name": "Ana"}}""");
        await().atMost(Duration.ofSeconds(60)).until(() -> transfers.require(id).status() == TransferStatus.SETTLED);
        assertThat(transfers.require(id).rail()).isEqualTo("acme-pay");
        assertThat(ledger.balance(AccountKey.rail("acme-pay", CurrencyCode.MXN, AccountKind.SETTLEMENT)))
                .isEqualTo(4200);

        HttpResponse<String> refund = send("POST", "/v1/transfers/" + id + "/refunds", "Bearer " + partnerKey,
                "{\"amount\": \"12.00\"}");
        assertThat(refund.statusCode()).as(refund.body()).isEqualTo(201);
        UUID refundId = UUID.fromString(JSON.readTree(refund.body()).path("id").asText());
        Refunds refunds = hub.getBean(Refunds.class);
        await().atMost(Duration.ofSeconds(30)).until(() -> refunds.require(refundId).status()
                == RefundStatus.SUCCEEDED);
        assertThat(refunds.require(refundId).railReference()).startsWith("rf_");
        assertThat(ledger.balance(AccountKey.rail("acme-pay", CurrencyCode.MXN, AccountKind.SETTLEMENT)))
                .isEqualTo(3000);
        assertThat(ledger.balance(account(CurrencyCode.MXN, AccountKind.AVAILABLE))).isEqualTo(10_000 - 4200 + 1200);
        LedgerInvariants.assertHold(hub.getBean(JdbcClient.class));

        // its statement route (copied from the template too) reconciles it: matched by the rail's payout id
        JsonNode run = reconcile("acme-pay", submitted);
        assertThat(run.path("matched_transfers").asInt()).isPositive();
        assertThat(run.path("discrepancies").asInt()).isZero();
    }

    @Test
    void aRefusalTheConnectorListsUnderRerouteOnMovesTheTransferToItsFallbackRailOnce() throws Exception {
        Instant submitted = Instant.now().minusSeconds(1);
        faults("acme-pay", "insufficient_funds");
        long backupBefore = ledger.balance(AccountKey.rail("acme-backup", CurrencyCode.BRL, AccountKind.SETTLEMENT));
        UUID rerouted = transfer(pixTransfer("20.00", "reroute-1"));
        await().atMost(Duration.ofSeconds(60)).until(() -> transfers.require(rerouted).status().isFinal());

        Transfer settled = transfers.require(rerouted);
        assertThat(settled.status()).isEqualTo(TransferStatus.SETTLED);
        assertThat(settled.rail()).isEqualTo("acme-backup");
        assertThat(path(rerouted)).containsSubsequence("ACCEPTED", "ROUTED", "SUBMITTED", "ROUTED", "SUBMITTED",
                "SETTLED");
        assertThat(reasons(rerouted)).anySatisfy(reason ->
                assertThat(reason).isEqualTo("rerouted to acme-backup: acme-pay refused it (insufficient_funds)"));
        // each rail saw the idempotency key once: acme-pay refused it, acme-backup paid it
        assertThat(executions("acme-pay", rerouted)).isEqualTo(1);
        assertThat(executions("acme-backup", rerouted)).isEqualTo(1);
        assertThat(ledger.balance(AccountKey.rail("acme-backup", CurrencyCode.BRL, AccountKind.SETTLEMENT)))
                .isEqualTo(backupBefore + 2000);
        assertThat(ledger.balance(AccountKey.rail("acme-pay", CurrencyCode.BRL, AccountKind.SETTLEMENT))).isZero();

        // a late word from the rail it left moves nothing and is flagged for review
        hub.getBean(SettlementStage.class).applyPolled(HubTest.records(hub.getBean(CamelContext.class),
                JSON.writeValueAsString(Map.of("result_id", "acme-pay:" + rerouted + ":SETTLED", "transfer_id",
                        rerouted.toString(), "rail", "acme-pay", "outcome", "SETTLED", "rail_status", "PAID"))));
        assertThat(ledger.balance(AccountKey.rail("acme-pay", CurrencyCode.BRL, AccountKind.SETTLEMENT))).isZero();
        assertThat(hub.getBean(JdbcClient.class).sql("select needs_review from transfers where id = ?")
                .param(rerouted).query(Boolean.class).single()).isTrue();

        // a refusal for the beneficiary's reason is final: no reroute
        faults("acme-pay", "beneficiary_account_closed");
        UUID refused = transfer(pixTransfer("3.00", "reroute-2"));
        await().atMost(Duration.ofSeconds(60)).until(() -> transfers.require(refused).status().isFinal());
        assertThat(transfers.require(refused).status()).isEqualTo(TransferStatus.FAILED);
        assertThat(transfers.require(refused).rail()).isEqualTo("acme-pay");
        assertThat(executions("acme-backup", refused)).isZero();

        // the fallback refusing too ends it there: once, never back
        faults("acme-pay", "insufficient_funds");
        faults("acme-backup", "insufficient_funds");
        UUID twice = transfer(pixTransfer("4.00", "reroute-3"));
        await().atMost(Duration.ofSeconds(60)).until(() -> transfers.require(twice).status().isFinal());
        assertThat(transfers.require(twice).status()).isEqualTo(TransferStatus.FAILED);
        assertThat(transfers.require(twice).rail()).isEqualTo("acme-backup");
        assertThat(executions("acme-pay", twice)).isEqualTo(1);
        assertThat(executions("acme-backup", twice)).isEqualTo(1);

        // money: what settled went to acme-backup, every hold of a failed transfer came back
        assertThat(ledger.balance(account(CurrencyCode.BRL, AccountKind.IN_FLIGHT))).isZero();
        LedgerInvariants.assertHold(hub.getBean(JdbcClient.class));

        // both rails' statements reconcile without a false discrepancy: acme-pay's refusals match the refused attempts
        for (String rail : List.of("acme-pay", "acme-backup")) {
            JsonNode run = reconcile(rail, submitted);
            assertThat(run.path("discrepancies").asInt()).as(rail + ": " + run).isZero();
        }
    }

    @Test
    void aPartOfASettledPayoutTheRailReturnsGoesBackOnceAndTheTransferStaysSettled() throws Exception {
        assertThat(send("PUT", "/v1/ops/sandbox/acme-pay/faults", OPS,
                "{\"return_rate\": 1, \"return_share\": 0.25, \"return_after_ms\": 1500}").statusCode()).isEqualTo(200);
        long available = ledger.balance(account(CurrencyCode.BRL, AccountKind.AVAILABLE));
        long railBefore = ledger.balance(AccountKey.rail("acme-pay", CurrencyCode.BRL, AccountKind.SETTLEMENT));
        UUID id = transfer(pixTransfer("20.00", "partial-return-1"));
        JdbcClient jdbc = hub.getBean(JdbcClient.class);
        await().atMost(Duration.ofSeconds(60)).until(() -> jdbc.sql(
                "select count(*) from refunds where transfer_id = ? and kind = 'RETURN'").param(id).query(Long.class)
                .single() == 1);
        Thread.sleep(3_000); // the rail keeps saying so at every watch: the part is not returned twice

        assertThat(transfers.require(id).status()).isEqualTo(TransferStatus.SETTLED);
        assertThat(jdbc.sql("select destination_amount_minor from refunds where transfer_id = ? and kind = 'RETURN'")
                .param(id).query(Long.class).list()).containsExactly(500L);
        assertThat(ledger.balance(account(CurrencyCode.BRL, AccountKind.AVAILABLE))).isEqualTo(available - 2000 + 500);
        assertThat(ledger.balance(AccountKey.rail("acme-pay", CurrencyCode.BRL, AccountKind.SETTLEMENT)))
                .isEqualTo(railBefore + 1500);
        assertThat(jdbc.sql("select count(*) from outbox_events where event_key = ? and event_type = ?")
                .params(id.toString(), "transfer.partially_returned").query(Long.class).single()).isEqualTo(1);

        // what the rail kept is all that can still be refunded
        HttpResponse<String> tooMuch = send("POST", "/v1/transfers/" + id + "/refunds", "Bearer " + partnerKey,
                "{\"amount\": \"15.01\"}");
        assertThat(tooMuch.statusCode()).as(tooMuch.body()).isEqualTo(422);
        assertThat(tooMuch.body()).contains("refund_exceeds_refundable");
        HttpResponse<String> rest = send("POST", "/v1/transfers/" + id + "/refunds", "Bearer " + partnerKey,
                "{\"amount\": \"15.00\"}");
        assertThat(rest.statusCode()).as(rest.body()).isEqualTo(201);
        UUID refundId = UUID.fromString(JSON.readTree(rest.body()).path("id").asText());
        await().atMost(Duration.ofSeconds(30)).until(() -> hub.getBean(Refunds.class).require(refundId).status()
                == RefundStatus.SUCCEEDED);
        assertThat(ledger.balance(account(CurrencyCode.BRL, AccountKind.AVAILABLE))).isEqualTo(available);
        LedgerInvariants.assertHold(jdbc);
    }

    private static String pixTransfer(String amount, String reference) {
        return """
                {"amount": "%s", "currency": "BRL", "reference": "%s",
                 "destination": {"currency": "BRL", "pix_key": "ana@example.com", "name": "Ana"}}"""
                .formatted(amount, reference);
    }

    private static UUID transfer(String body) throws Exception {
        HttpResponse<String> created = send("POST", "/v1/transfers", "Bearer " + partnerKey, body);
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        return UUID.fromString(JSON.readTree(created.body()).path("id").asText());
    }

    private static void faults(String rail, String failReason) throws Exception {
        HttpResponse<String> set = send("PUT", "/v1/ops/sandbox/" + rail + "/faults", OPS,
                "{\"fail_rate\": 1, \"fail_reason\": \"" + failReason + "\"}");
        assertThat(set.statusCode()).as(set.body()).isEqualTo(200);
    }

    private static int executions(String rail, UUID transfer) throws Exception {
        JsonNode view = JSON.readTree(send("GET", "/v1/ops/sandbox/" + rail + "/executions", OPS, null).body());
        return view.path("by_key").path(transfer.toString()).asInt();
    }

    private static JsonNode reconcile(String rail, Instant from) throws Exception {
        HttpResponse<String> run = send("POST", "/v1/reconciliation/runs", OPS, "{\"rail\": \"" + rail
                + "\", \"from\": \"" + from + "\", \"to\": \"" + Instant.now().plusSeconds(1) + "\"}");
        assertThat(run.statusCode()).as(run.body()).isEqualTo(201);
        return JSON.readTree(run.body());
    }

    private static List<String> path(UUID transfer) {
        return hub.getBean(JdbcClient.class).sql("select to_status from transfer_transitions where transfer_id = ? "
                + "order by id").param(transfer).query(String.class).list();
    }

    private static List<String> reasons(UUID transfer) {
        return hub.getBean(JdbcClient.class).sql("select reason from transfer_transitions where transfer_id = ? "
                + "order by id").param(transfer).query(String.class).list();
    }

    private static AccountKey account(CurrencyCode currency, AccountKind kind) {
        return AccountKey.partner(partner.id().toString(), currency, kind);
    }

    private static HttpResponse<String> send(String method, String path, String authorization, String body)
            throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
                .header("Authorization", authorization).header("Idempotency-Key", UUID.randomUUID().toString())
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path path : paths.toList()) {
                Path target = to.resolve(from.relativize(path).toString());
                if (Files.isDirectory(path)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(path, target);
                }
            }
        }
    }
}
