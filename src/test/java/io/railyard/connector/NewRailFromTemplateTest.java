package io.railyard.connector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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
import java.util.Base64;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * Adding a rail needs no Java change: connectors/_template copied as a new rail "acme-pay" (with `template` replaced
 * by the rail's name, as its README says), a routing rule pointing at it, and a transfer settles through it in a
 * freshly started hub, then is partly refunded through the template's refund flow.
 */
class NewRailFromTemplateTest {

    @TempDir
    Path home;

    @Test
    void aRailCopiedFromTheTemplateSettlesATransfer() throws Exception {
        copyTree(Path.of("routes"), home.resolve("routes"));
        copyTree(Path.of("connectors"), home.resolve("connectors"));
        Path rail = Files.createDirectories(home.resolve("connectors/acme-pay"));
        for (String file : new String[] {"connector.yaml", "payout.camel.yaml", "refund.camel.yaml",
                "statement.camel.yaml"}) {
            Files.writeString(rail.resolve(file),
                    Files.readString(Path.of("connectors/_template", file)).replace("template", "acme-pay"));
        }
        Files.createDirectories(home.resolve("config"));
        Files.copy(Path.of("config/rails.yaml"), home.resolve("config/rails.yaml"));
        Files.copy(Path.of("config/treasury.yaml"), home.resolve("config/treasury.yaml"));
        Files.writeString(home.resolve("config/routing.yaml"), """
                rules:
                  - name: mxn-acme
                    match: {currency: MXN}
                    rail: acme-pay
                  - name: brl-pix
                    match: {currency: BRL}
                    rail: pix
                """);
        int port = TestPorts.free();
        try (ConfigurableApplicationContext hub = new SpringApplicationBuilder(RailyardApplication.class).run(
                "--railyard.home=" + home, "--server.port=" + port, "--camel.main.name=railyard-new-rail",
                // Quartz registers its data sources JVM-wide by scheduler name: another name, or closing this hub
                // would leave the shared test hub's scheduler with a closed pool
                "--spring.quartz.scheduler-name=railyard-new-rail",
                "--railyard.connectors.acme-pay.base-url=http://localhost:" + port + "/sandbox/template/acme-pay",
                "--railyard.connectors.acme-pay.api-key=acme-sandbox-key")) {
            Partners partners = hub.getBean(Partners.class);
            Ledger ledger = hub.getBean(Ledger.class);
            Partners.Partner partner = partners.create("new-rail-" + UUID.randomUUID());
            String key = partners.issueKey(partner.id()).key();
            ledger.post(EntryRequest.move("deposit", "new-rail-" + partner.id(),
                    AccountKey.house(CurrencyCode.MXN, AccountKind.FUNDING),
                    AccountKey.partner(partner.id().toString(), CurrencyCode.MXN, AccountKind.AVAILABLE), 10_000));

            HttpResponse<String> created = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://localhost:" + port + "/v1/transfers"))
                    .header("Authorization", "Bearer " + key).header("Idempotency-Key", UUID.randomUUID().toString())
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("""
                            {"amount": "42.00", "currency": "MXN", "reference": "acme-1",
                             "destination": {"currency": "MXN", "clabe": "032180000118359719", "name": "Ana"}}"""))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
            UUID id = UUID.fromString(created.body().replaceAll(".*\"id\":\"([0-9a-f-]{36})\".*", "$1"));

            Transfers transfers = hub.getBean(Transfers.class);
            await().atMost(Duration.ofSeconds(60)).until(() -> transfers.require(id).status() == TransferStatus.SETTLED);
            assertThat(transfers.require(id).rail()).isEqualTo("acme-pay");
            assertThat(ledger.balance(AccountKey.rail("acme-pay", CurrencyCode.MXN, AccountKind.SETTLEMENT)))
                    .isEqualTo(4200);

            HttpResponse<String> refund = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://localhost:" + port + "/v1/transfers/" + id + "/refunds"))
                    .header("Authorization", "Bearer " + key).header("Idempotency-Key", UUID.randomUUID().toString())
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"amount\": \"12.00\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(refund.statusCode()).as(refund.body()).isEqualTo(201);
            UUID refundId = UUID.fromString(refund.body().replaceAll("^\\{\"id\":\"([0-9a-f-]{36})\".*", "$1"));
            Refunds refunds = hub.getBean(Refunds.class);
            await().atMost(Duration.ofSeconds(30)).until(() -> refunds.require(refundId).status()
                    == RefundStatus.SUCCEEDED);
            assertThat(refunds.require(refundId).railReference()).startsWith("rf_");
            assertThat(ledger.balance(AccountKey.rail("acme-pay", CurrencyCode.MXN, AccountKind.SETTLEMENT)))
                    .isEqualTo(3000);
            assertThat(ledger.balance(AccountKey.partner(partner.id().toString(), CurrencyCode.MXN,
                    AccountKind.AVAILABLE))).isEqualTo(10_000 - 4200 + 1200);
            LedgerInvariants.assertHold(hub.getBean(JdbcClient.class));

            // its statement route (copied from the template too) reconciles it: matched by the rail's payout id
            hub.getBean(OpsUsers.class).save("ops-new-rail", "ops-new-rail-password");
            Instant submitted = Instant.now().minusSeconds(120);
            HttpResponse<String> run = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://localhost:" + port + "/v1/reconciliation/runs"))
                    .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                            "ops-new-rail:ops-new-rail-password".getBytes(StandardCharsets.UTF_8)))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"rail\": \"acme-pay\", \"from\": \"" + submitted
                            + "\", \"to\": \"" + Instant.now().plusSeconds(1) + "\"}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(run.statusCode()).as(run.body()).isEqualTo(201);
            assertThat(run.body()).contains("\"matched_transfers\":1", "\"discrepancies\":0", "\"rail_reference\":1");
        }
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
