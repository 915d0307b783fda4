package io.railyard.connector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;
import org.web3j.utils.Numeric;

/**
 * The block search of EVM statements, driven as the connector's loops drive it, against a chain of 1,000 blocks where
 * block n is stamped {@code GENESIS + 2n} seconds.
 */
class EvmBlocksTest {

    private static final Instant GENESIS = Instant.parse("2026-01-31T00:00:00Z");
    private static final long HEAD = 999;
    private final EvmBlocks blocks = new EvmBlocks();

    @Test
    void thePeriodsBlocksAreFoundByBisectionAndReadInRanges() {
        Read read = read(GENESIS.plusSeconds(100), GENESIS.plusMillis(300_500), "30");
        // blocks 50 (t+100 s) to 150 (t+300 s, before t+300.5 s); 151 is at t+302 s
        assertThat(read.ranges).containsExactly(List.of(50L, 79L), List.of(80L, 109L), List.of(110L, 139L),
                List.of(140L, 150L));
        assertThat(read.blockReads).as("about 2 × log2(1,000)").isLessThanOrEqualTo(20);
    }

    @Test
    void aBoundBetweenTwoBlocksStartsAtTheLaterOne() {
        assertThat(read(GENESIS.plusMillis(100_001), GENESIS.plusSeconds(104), "100").ranges)
                .containsExactly(List.of(51L, 51L));
    }

    @Test
    void periodsOutsideTheChainReadWhatOverlaps() {
        assertThat(read(GENESIS.minusSeconds(3600), GENESIS.plusSeconds(4), "100").ranges)
                .containsExactly(List.of(0L, 1L));
        assertThat(read(GENESIS.plusSeconds(1990), GENESIS.plusSeconds(9000), "100").ranges)
                .containsExactly(List.of(995L, 999L));
        assertThat(read(GENESIS.plusSeconds(5000), GENESIS.plusSeconds(9000), "100").ranges).isEmpty();
    }

    @Test
    void aNodeRefusalFailsTheRead() {
        Exchange exchange = exchange(GENESIS, GENESIS.plusSeconds(10), "100");
        exchange.getIn().setBody(Map.of("error", Map.of("code", -32005, "message", "query exceeds max block range")));
        assertThatThrownBy(() -> blocks.searchPeriod(exchange)).hasMessageContaining("query exceeds max block range");
    }

    @Test
    void aTransferLogIsALineAtTheCurrencysScaleAndTheBlocksTime() {
        Exchange exchange = exchange(GENESIS, GENESIS, "100");
        exchange.setProperty("reconCurrency", "USDC");
        exchange.setProperty("evmBlockTimestamp", hex(GENESIS.getEpochSecond() + 7));
        exchange.getIn().setBody(Map.of("data", Numeric.toHexStringWithPrefixZeroPadded(BigInteger.valueOf(12_500_001), 64)));
        blocks.transferLine(exchange);
        assertThat(exchange.getProperty("reconAmount").toString()).isEqualTo("12.500001");
        assertThat(exchange.getProperty("reconOccurredAt")).isEqualTo("2026-01-31T00:00:07Z");
    }

    private record Read(List<List<Long>> ranges, int blockReads) {
    }

    private Read read(Instant from, Instant to, String range) {
        Exchange exchange = exchange(from, to, range);
        exchange.getIn().setBody(Map.of("result", hex(HEAD)));
        blocks.searchPeriod(exchange);
        int reads = 0;
        while (exchange.getProperty("evmSearching", Boolean.class)) {
            long probe = Numeric.toBigInt(exchange.getProperty("evmProbe", String.class)).longValueExact();
            assertThat(probe).isBetween(0L, HEAD);
            exchange.getIn().setBody(Map.of("result", Map.of("timestamp", hex(GENESIS.getEpochSecond() + 2 * probe))));
            blocks.narrow(exchange);
            reads++;
        }
        List<List<Long>> ranges = new ArrayList<>();
        while (exchange.getProperty("evmFetching", Boolean.class)) {
            ranges.add(List.of(Numeric.toBigInt(exchange.getProperty("evmRangeFrom", String.class)).longValueExact(),
                    Numeric.toBigInt(exchange.getProperty("evmRangeTo", String.class)).longValueExact()));
            exchange.getIn().setBody(Map.of("result", List.of()));
            blocks.collect(exchange);
        }
        return new Read(ranges, reads);
    }

    private static Exchange exchange(Instant from, Instant to, String range) {
        Exchange exchange = new DefaultExchange(new DefaultCamelContext());
        exchange.setProperty("railyardFrom", from.toString());
        exchange.setProperty("railyardTo", to.toString());
        exchange.setProperty("evmSender", "0x70997970c51812dc3a010c7d01b50e0d17dc79c8");
        exchange.setProperty("evmLogsBlockRange", range);
        return exchange;
    }

    private static String hex(long value) {
        return Numeric.toHexStringWithPrefix(BigInteger.valueOf(value));
    }
}
