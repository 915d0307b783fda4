package io.railyard.treasury;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.railyard.connector.ConnectorDescriptor;
import io.railyard.ledger.CurrencyCode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** config/treasury.yaml is checked against the connectors: every fault is named, or nothing is used. */
class TreasuryTableTest {

    private static final Map<String, ConnectorDescriptor> CONNECTORS = Map.of(
            "pix", connector("pix", "BRL"),
            "circle-usdc", connector("circle-usdc", "USDC", "USD"));

    @TempDir
    Path dir;

    private static ConnectorDescriptor connector(String rail, String... currencies) {
        return new ConnectorDescriptor(rail, rail, List.of(currencies), Map.of(), Map.of(), Map.of(), Set.of(), null);
    }

    @Test
    void theShippedTableIsValid() {
        TreasuryTable table = TreasuryTable.load(Path.of("config/treasury.yaml"), Map.of(
                "pix", connector("pix", "BRL"),
                "spei", connector("spei", "MXN"),
                "circle-usdc", connector("circle-usdc", "USDC", "USD"),
                "base-usdc", connector("base-usdc", "USDC")));
        assertThat(table.thresholds()).hasSize(5);
        assertThat(table.projectionHorizon()).isEqualTo(Duration.ofHours(1));
        assertThat(table.thresholds("pix", CurrencyCode.BRL)).get()
                .satisfies(t -> assertThat(t.recover()).isGreaterThan(t.low()));
    }

    @Test
    void everyFaultIsNamed() throws IOException {
        Path file = dir.resolve("treasury.yaml");
        Files.writeString(file, """
                trailing-period: PT0S
                projection-horizon: one hour
                rails:
                  pix:
                    BRL: {low: 1.5, recover: 1.5, target: 2}
                    MXN: {low: 1.1, recover: 1.3, target: 1.5}
                  acme:
                    USD: {low: 1.1, recover: 1.3, target: 1.5}
                  circle-usdc:
                    EUR: {low: 1.1, recover: 1.3, target: 1.5}
                    USD: {low: 0, recover: 1.3, target: 1.2}
                    USDC: {low: 1.1}
                """);
        assertThatThrownBy(() -> TreasuryTable.load(file, CONNECTORS))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("trailing-period must be positive")
                .hasMessageContaining("projection-horizon 'one hour' is not an ISO-8601 duration")
                .hasMessageContaining("rails.pix.BRL.recover must be above low")
                .hasMessageContaining("rails.pix.MXN: connector pix does not pay out MXN")
                .hasMessageContaining("rails.acme is not a connector")
                .hasMessageContaining("rails.circle-usdc.EUR: EUR is not one of")
                .hasMessageContaining("rails.circle-usdc.USD.low must be above 0")
                .hasMessageContaining("rails.circle-usdc.USD.target must be at least recover")
                .hasMessageContaining("rails.circle-usdc.USDC needs low, recover and target");
    }

    @Test
    void anUnknownKeyIsRefused() throws IOException {
        Path file = dir.resolve("treasury.yaml");
        Files.writeString(file, """
                trailing-period: PT24H
                projection-horizon: PT1H
                thresholds: {}
                rails:
                  pix:
                    BRL: {low: 1.1, recover: 1.3, target: 1.5}
                """);
        assertThatThrownBy(() -> TreasuryTable.load(file, CONNECTORS)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("thresholds");
    }
}
