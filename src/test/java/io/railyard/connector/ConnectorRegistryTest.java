package io.railyard.connector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.core.env.SystemEnvironmentPropertySource;
import org.springframework.mock.env.MockEnvironment;

/** Start-up validation of connectors/: every fault named with its file. */
class ConnectorRegistryTest {

    @TempDir
    Path home;
    MockEnvironment env;

    @BeforeEach
    void copyTheShippedConnectors() throws IOException {
        env = new MockEnvironment();
        Files.createDirectories(home.resolve("routes"));
        Files.writeString(home.resolve("routes/outbox.camel.yaml"), "# routes\n");
        for (String rail : new String[] {"pix", "spei", "circle-usdc", "base-usdc", "_template"}) {
            Path target = Files.createDirectories(home.resolve("connectors").resolve(rail));
            try (var files = Files.list(Path.of("connectors", rail))) {
                for (Path file : files.toList()) {
                    Files.copy(file, target.resolve(file.getFileName()));
                }
            }
        }
        env.setProperty("railyard.connectors.pix.base-url", "http://localhost:1/sandbox/pix");
        env.setProperty("railyard.connectors.pix.api-key", "k");
        env.setProperty("railyard.connectors.spei.base-url", "http://localhost:1/sandbox/spei");
        env.setProperty("railyard.connectors.spei.firma", "f");
        env.setProperty("railyard.connectors.circle-usdc.base-url", "http://localhost:1/sandbox/circle");
        env.setProperty("railyard.connectors.circle-usdc.api-key", "k");
        env.setProperty("railyard.connectors.circle-usdc.source-wallet-id", "1000066041");
        env.setProperty("railyard.connectors.base-usdc.rpc-url", "http://localhost:1/sandbox/base/rpc");
        env.setProperty("railyard.connectors.base-usdc.private-key",
                "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d");
    }

    @Test
    void theShippedConnectorsAreDiscoveredAndTheTemplateIsNot() {
        ConnectorRegistry registry = new ConnectorRegistry(home, env);
        assertThat(registry.all()).containsOnlyKeys("pix", "spei", "circle-usdc", "base-usdc");
        assertThat(registry.outcome("pix", "CONCLUIDA")).isEqualTo(RailOutcome.SETTLED);
        assertThat(registry.outcome("circle-usdc", "failed:transaction_returned")).isEqualTo(RailOutcome.RETURNED);
        assertThat(registry.outcome("spei", "Devuelta")).isEqualTo(RailOutcome.RETURNED);
        assertThat(registry.outcome("pix", "SOMETHING_NEW")).as("no wildcard").isEqualTo(RailOutcome.UNKNOWN);
        assertThat(env.getProperty("railyard.connectors.pix.timeout-ms")).as("defaults published").isEqualTo("5000");
    }

    @Test
    void aMissingRequiredParameterIsNamed() {
        MockEnvironment bare = new MockEnvironment();
        bare.setProperty("railyard.connectors.pix.base-url", "http://x");
        assertThatThrownBy(() -> new ConnectorRegistry(home, bare))
                .hasMessageContaining("connector base-usdc (connectors/base-usdc/connector.yaml) is invalid")
                .hasMessageContaining("parameter rpc-url is required: set railyard.connectors.base-usdc.rpc-url");
    }

    @Test
    void aParameterNotMatchingItsPatternIsNamedButASecretValueIsNotShown() {
        env.setProperty("railyard.connectors.base-usdc.private-key", "not-hex-secret");
        env.setProperty("railyard.connectors.pix.timeout-ms", "soon");
        assertThatThrownBy(() -> new ConnectorRegistry(home, env))
                .hasMessageContaining("parameter private-key (secret) does not match")
                .hasMessageNotContaining("not-hex-secret");
    }

    @Test
    void aParameterGivenAsAnEnvironmentVariableIsTheConnectors() {
        // README: RAILYARD_CONNECTORS_<RAIL>_<PARAMETER>, dots and dashes as underscores (e.g. the anvil token address)
        env.getPropertySources().addFirst(new SystemEnvironmentPropertySource("env",
                Map.of("RAILYARD_CONNECTORS_BASE_USDC_USDC_CONTRACT", "not-an-address")));
        assertThatThrownBy(() -> new ConnectorRegistry(home, env))
                .hasMessageContaining("parameter usdc-contract = 'not-an-address' does not match");
    }

    @Test
    void aStatusMappedToSomethingElseThanAnOutcomeStopsStartUp() throws IOException {
        Path descriptor = home.resolve("connectors/pix/connector.yaml");
        Files.writeString(descriptor, Files.readString(descriptor).replace("CONCLUIDA: SETTLED", "CONCLUIDA: DONE"));
        assertThatThrownBy(() -> new ConnectorRegistry(home, env))
                .hasMessageContaining("connectors/pix/connector.yaml")
                .hasMessageContaining("statuses.CONCLUIDA maps to 'DONE'");
    }

    @Test
    void rerouteOnListsTheRailsOwnRefusalsAndRefusesWhatIsNotAFailureCode() throws IOException {
        ConnectorRegistry registry = new ConnectorRegistry(home, env);
        assertThat(registry.reroutes("circle-usdc", "insufficient_funds")).isTrue();
        assertThat(registry.reroutes("circle-usdc", "transaction_denied")).as("the recipient's bank said no").isFalse();
        assertThat(registry.reroutes("pix", "insufficient_funds")).as("pix lists none").isFalse();
        assertThat(registry.reroutes("circle-usdc", null)).isFalse();

        Path descriptor = home.resolve("connectors/circle-usdc/connector.yaml");
        Files.writeString(descriptor, Files.readString(descriptor).replace("  - insufficient_funds", "  - 'no money'"));
        assertThatThrownBy(() -> new ConnectorRegistry(home, env))
                .hasMessageContaining("connectors/circle-usdc/connector.yaml")
                .hasMessageContaining("reroute-on lists 'no money', not a failure code");
    }

    @Test
    void refundFlowsAreDeclaredByRefundStatusesWithARouteConsumingTheRefundTopic() throws IOException {
        ConnectorRegistry registry = new ConnectorRegistry(home, env);
        assertThat(registry.refunds("pix")).isTrue();
        assertThat(registry.refunds("base-usdc")).as("the beneficiary's return transfer, watched for on chain")
                .isTrue();
        assertThat(registry.awaitsRefunds("base-usdc")).as("refund-wait: looked for until it is over").isTrue();
        assertThat(registry.awaitsRefunds("circle-usdc")).isFalse();
        assertThat(registry.refundOutcome("base-usdc", "awaiting_return")).isEqualTo(RailOutcome.PENDING);
        assertThat(registry.refundOutcome("base-usdc", "returned")).isEqualTo(RailOutcome.SETTLED);
        assertThat(registry.refundOutcome("base-usdc", "not_received")).isEqualTo(RailOutcome.FAILED);
        assertThat(registry.returns("spei")).isTrue();
        assertThat(registry.returns("base-usdc")).isFalse();
        assertThat(registry.refundOutcome("pix", "DEVOLVIDO")).isEqualTo(RailOutcome.SETTLED);
        assertThat(registry.refundOutcome("spei", "Cancelada")).isEqualTo(RailOutcome.FAILED);
        assertThat(registry.refundOutcome("circle-usdc", "complete")).isEqualTo(RailOutcome.SETTLED);
        assertThat(registry.refundOutcome("pix", "CONCLUIDA")).as("the payout map is not the refund map")
                .isEqualTo(RailOutcome.UNKNOWN);

        Path descriptor = home.resolve("connectors/spei/connector.yaml");
        Files.writeString(descriptor, Files.readString(descriptor).replace("  Cancelada: FAILED\n", "  Cancelada: RETURNED\n"));
        Files.delete(home.resolve("connectors/spei/refund.camel.yaml"));
        assertThatThrownBy(() -> new ConnectorRegistry(home, env))
                .hasMessageContaining("connectors/spei/connector.yaml")
                .hasMessageContaining("refund-statuses.Cancelada maps to 'RETURNED'")
                .hasMessageContaining("no *.camel.yaml route consumes kafka:railyard.rail.spei.refund.v1");
    }

    @Test
    void aConnectorWithoutRefundStatusesHasNoRefundFlow() throws IOException {
        Path base = home.resolve("connectors/base-usdc/connector.yaml");
        String descriptor = Files.readString(base);
        Files.writeString(base, descriptor.substring(0, descriptor.indexOf("refund-statuses:")));
        Files.delete(home.resolve("connectors/base-usdc/refund.camel.yaml"));
        ConnectorRegistry registry = new ConnectorRegistry(home, env);
        assertThat(registry.refunds("base-usdc")).as("Refunds answers 422 refund_not_supported").isFalse();
        assertThat(registry.refunds("pix")).isTrue();
    }

    @Test
    void bulkPayoutsAreDeclaredByBatchesWithARouteSendingThem() throws IOException {
        ConnectorRegistry registry = new ConnectorRegistry(home, env);
        assertThat(registry.batches("circle-usdc")).contains(new ConnectorDescriptor.Batches(1000, true));
        assertThat(registry.batches("pix")).isEmpty();

        Files.delete(home.resolve("connectors/circle-usdc/batch.camel.yaml"));
        Path descriptor = home.resolve("connectors/circle-usdc/connector.yaml");
        Files.writeString(descriptor, Files.readString(descriptor).replace("max-lines: 1000", "max-lines: 0"));
        assertThatThrownBy(() -> new ConnectorRegistry(home, env))
                .hasMessageContaining("connectors/circle-usdc/connector.yaml")
                .hasMessageContaining("batches.max-lines must be at least 1")
                .hasMessageContaining("no *.camel.yaml route consumes direct:batch.circle-usdc.send");
    }

    @Test
    void aFlowWhosePendingAnswersAreReadAgainNeedsItsStatusRead() throws IOException {
        ConnectorRegistry registry = new ConnectorRegistry(home, env);
        assertThat(registry.pollIntervalMs("pix")).isEqualTo(100);
        assertThat(registry.maxPolls("pix")).isEqualTo(20);

        Path payout = home.resolve("connectors/pix/payout.camel.yaml");
        Files.writeString(payout, Files.readString(payout).replace("uri: direct:payout.pix.get-status",
                "uri: direct:payout.pix.status"));
        Path refund = home.resolve("connectors/pix/refund.camel.yaml");
        Files.writeString(refund, Files.readString(refund).replace("uri: direct:refund.pix.get-status",
                "uri: direct:refund.pix.status"));
        assertThatThrownBy(() -> new ConnectorRegistry(home, env))
                .hasMessageContaining("its payouts wait in direct:rail.answered but no *.camel.yaml route consumes "
                        + "direct:payout.pix.get-status")
                .hasMessageContaining("its refunds wait in direct:rail.answered but no *.camel.yaml route consumes "
                        + "direct:refund.pix.get-status");
    }

    @Test
    void malformedYamlStopsStartUpNamingTheFile() throws IOException {
        Files.writeString(home.resolve("connectors/spei/connector.yaml"), "rail: spei\nstatuses: [oops\n");
        assertThatThrownBy(() -> new ConnectorRegistry(home, env))
                .hasMessageContaining("connector spei: connectors/spei/connector.yaml is not valid");
    }

    @Test
    void aRouteUsingAnUndeclaredParameterIsRefused() throws IOException {
        Path route = home.resolve("connectors/pix/payout.camel.yaml");
        Files.writeString(route, Files.readString(route) + "\n# {{railyard.connectors.pix.client-secret}}\n");
        assertThatThrownBy(() -> new ConnectorRegistry(home, env))
                .hasMessageContaining("connectors/pix/payout.camel.yaml uses {{railyard.connectors.pix.client-secret}}");
    }

    @Test
    void aHomeWithoutRoutesIsExplained() throws IOException {
        Files.delete(home.resolve("routes/outbox.camel.yaml"));
        assertThatThrownBy(() -> new ConnectorRegistry(home, env)).hasMessageContaining("no YAML routes in")
                .hasMessageContaining("RAILYARD_HOME");
    }

    @Test
    void aMissingConnectorsDirectoryIsExplained() {
        Path elsewhere = home.resolve("elsewhere");
        assertThatThrownBy(() -> {
            Files.createDirectories(elsewhere.resolve("routes"));
            Files.writeString(elsewhere.resolve("routes/a.yaml"), "# routes\n");
            new ConnectorRegistry(elsewhere, env);
        })
                .hasMessageContaining("no connectors directory").hasMessageContaining("RAILYARD_HOME");
    }
}
