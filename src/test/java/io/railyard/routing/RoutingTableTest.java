package io.railyard.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.railyard.ledger.CurrencyCode;
import io.railyard.transfer.Protocol;
import io.railyard.transfer.Transfer;
import io.railyard.transfer.TransferStatus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RoutingTableTest {

    @TempDir
    Path dir;

    static Transfer transfer(CurrencyCode currency, String country, Map<String, Object> beneficiary, Protocol protocol,
            long amountMinor) {
        return new Transfer(UUID.randomUUID(), UUID.randomUUID(), TransferStatus.ACCEPTED, protocol, currency,
                amountMinor, currency, amountMinor, country, beneficiary, null, null, "ref", null, null, null, null,
                null, null, null, null, null, Instant.now(), Instant.now());
    }

    @Test
    void theShippedTableRoutesEachCurrencyToItsRail() {
        RoutingTable table = new RoutingTable(Path.of("config/routing.yaml"), rail -> true);
        assertThat(rail(table, transfer(CurrencyCode.BRL, "BR", Map.of("pix_key", "52998224725"), Protocol.API, 100)))
                .isEqualTo("pix");
        assertThat(rail(table, transfer(CurrencyCode.MXN, "MX", Map.of(), Protocol.X402, 100))).isEqualTo("spei");
        assertThat(rail(table, transfer(CurrencyCode.USDC, null, Map.of("network", "base"), Protocol.AP2, 100)))
                .isEqualTo("base-usdc");
        assertThat(rail(table, transfer(CurrencyCode.USDC, null, Map.of("network", "circle"), Protocol.ACP, 100)))
                .isEqualTo("circle-usdc");
        assertThat(rail(table, transfer(CurrencyCode.USD, "US", Map.of(), Protocol.API, 100))).isEqualTo("circle-usdc");
    }

    @Test
    void rulesMatchOnProtocolAndAmountBandsInOrder() throws IOException {
        Path file = write("""
                rules:
                  - name: big-brl
                    match: {currency: BRL, min_amount: 1000.00}
                    rail: ted
                    fallback: pix
                  - name: agents
                    match: {protocol: x402}
                    rail: base-usdc
                  - name: rest
                    rail: pix
                """);
        RoutingTable table = new RoutingTable(file, rail -> true);
        RoutingTable.Decision big = table.decide(transfer(CurrencyCode.BRL, "BR", Map.of(), Protocol.API, 100_000))
                .orElseThrow();
        assertThat(big).isEqualTo(new RoutingTable.Decision("ted", "pix", "rule big-brl"));
        assertThat(rail(table, transfer(CurrencyCode.BRL, "BR", Map.of(), Protocol.API, 99_999))).isEqualTo("pix");
        assertThat(rail(table, transfer(CurrencyCode.MXN, "MX", Map.of(), Protocol.X402, 5))).isEqualTo("base-usdc");
    }

    @Test
    void anInvalidTableIsRefusedWithEveryFaultNamed() throws IOException {
        Path file = write("""
                rules:
                  - name: a
                    match: {currency: EUR, protocol: carrier-pigeon}
                    rail: Bad Rail
                  - name: a
                    rail: pix
                    fallback: pix
                """);
        assertThatThrownBy(() -> new RoutingTable(file, rail -> true)).hasMessageContaining("rules[0].match.currency")
                .hasMessageContaining("rules[0].match.protocol").hasMessageContaining("rules[0].rail")
                .hasMessageContaining("rules[1].name").hasMessageContaining("rules[1].fallback");
        assertThatThrownBy(() -> new RoutingTable(write("rules: []"), rail -> true)).hasMessageContaining("no rules");
        assertThatThrownBy(() -> new RoutingTable(write("rules:\n  - name: x\n    rail: pix\n    colour: red\n"), rail -> true))
                .hasMessageContaining("not readable");
    }

    @Test
    void aRuleNamingARailWithoutAConnectorIsRefused() throws IOException {
        Path file = write("rules:\n  - name: a\n    rail: pix\n    fallback: carrier\n");
        assertThatThrownBy(() -> new RoutingTable(file, "pix"::equals))
                .hasMessageContaining("names rail 'carrier' but connectors/ has no such connector");
    }

    @Test
    void anEditIsPickedUpAndAnInvalidEditKeepsTheTableInForce() throws IOException {
        Path file = write("rules:\n  - name: all\n    rail: pix\n");
        RoutingTable table = new RoutingTable(file, rail -> true);
        Transfer brl = transfer(CurrencyCode.BRL, "BR", Map.of(), Protocol.API, 100);

        Files.writeString(file, "rules:\n  - name: all\n    rail: ted\n");
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(5)));
        assertThat(table.reloadIfChanged()).isTrue();
        assertThat(rail(table, brl)).isEqualTo("ted");

        Files.writeString(file, "rules:\n  - name: all\n    rail: NOT VALID\n");
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(10)));
        assertThat(table.reloadIfChanged()).isFalse();
        assertThat(rail(table, brl)).isEqualTo("ted");
        assertThat(table.lastError()).contains("rules[0].rail");
    }

    private static String rail(RoutingTable table, Transfer transfer) {
        return table.decide(transfer).map(RoutingTable.Decision::rail).orElse(null);
    }

    private Path write(String yaml) throws IOException {
        Path file = Files.createTempFile(dir, "routing", ".yaml");
        Files.writeString(file, yaml);
        return file;
    }
}
