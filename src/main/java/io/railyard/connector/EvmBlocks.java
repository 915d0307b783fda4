package io.railyard.connector;

import io.railyard.ledger.CurrencyCode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.camel.Exchange;
import org.springframework.stereotype.Component;
import org.web3j.utils.Numeric;

/**
 * Reads a period of an EVM chain for statements (Base USDC reconciliation) while the connector's YAML makes the
 * JSON-RPC calls: the first block at or after each end of the period is found by bisection on block timestamps
 * ({@code eth_getBlockByNumber}: about 2 × log2(head) reads), then the logs of the blocks in between are read in
 * ranges a node accepts ({@code eth_getLogs}). The search state travels in exchange properties; nothing here talks to
 * the node. A JSON-RPC error answer fails the statement with the node's message.
 */
@Component("evmBlocks")
public class EvmBlocks {

    /**
     * Body: the {@code eth_blockNumber} answer. Reads {@code railyardFrom}, {@code railyardTo} (RFC 3339) and
     * {@code evmSender}; sets {@code evmSenderTopic} (the sender as a 32-byte log topic) and starts the search:
     * {@code evmSearching}, {@code evmProbe} (the block to read next).
     */
    public void searchPeriod(Exchange exchange) {
        long head = quantity(result(exchange, "eth_blockNumber"));
        exchange.setProperty("evmSenderTopic", topic(exchange.getProperty("evmSender", String.class)));
        exchange.setProperty("evmHead", head);
        exchange.setProperty("evmBounds", new ArrayList<Long>());
        search(exchange, 0, epochSecondsAtOrAfter(exchange, "railyardFrom"));
    }

    /**
     * Body: the {@code eth_getTransactionReceipt} answer of a mined transaction; {@code evmHead}: the
     * {@code eth_blockNumber} answer's result. Sets up reading the logs of the blocks after the transaction's up to the
     * head, as {@link #narrow} does for a period: {@code evmFetching}, {@code evmRangeFrom}, {@code evmRangeTo},
     * {@code evmLogs}.
     */
    public void logsAfter(Exchange exchange) {
        if (!(result(exchange, "eth_getTransactionReceipt") instanceof Map<?, ?> receipt)
                || receipt.get("blockNumber") == null) {
            throw new IllegalStateException("the node has no mined receipt of the transaction");
        }
        exchange.setProperty("evmLastBlock", quantity(exchange.getProperty("evmHead", String.class)));
        exchange.setProperty("evmLogs", new ArrayList<>());
        range(exchange, quantity(receipt.get("blockNumber")) + 1);
    }

    /** An address as a 32-byte log topic (indexed {@code address} parameters of an event). */
    public static String topic(String address) {
        return Numeric.toHexStringWithPrefixZeroPadded(Numeric.toBigInt(address), 64);
    }

    /**
     * Body: the {@code eth_getBlockByNumber} answer for {@code evmProbe}. Halves the search; once both ends of the
     * period are found, stops searching and sets up the first log range: {@code evmFetching}, {@code evmRangeFrom},
     * {@code evmRangeTo} (hex, inclusive), {@code evmLogs} (the logs read so far).
     */
    public void narrow(Exchange exchange) {
        Map<?, ?> block = (Map<?, ?>) result(exchange, "eth_getBlockByNumber");
        long probe = exchange.getProperty("evmProbeNumber", Long.class);
        if (block != null && quantity(block.get("timestamp")) >= exchange.getProperty("evmTarget", Long.class)) {
            exchange.setProperty("evmHigh", probe);
        } else {
            exchange.setProperty("evmLow", probe + 1);
        }
        next(exchange);
    }

    /** Body: an {@code eth_getLogs} answer: its logs join {@code evmLogs}, and the next range is set up. */
    @SuppressWarnings("unchecked")
    public void collect(Exchange exchange) {
        if (!(result(exchange, "eth_getLogs") instanceof List<?> logs)) {
            throw new IllegalStateException("eth_getLogs answered no list of logs");
        }
        exchange.getProperty("evmLogs", List.class).addAll(logs);
        range(exchange, quantity(exchange.getProperty("evmRangeTo", String.class)) + 1);
    }

    /**
     * Body: one ERC-20 Transfer log; {@code evmBlockTimestamp}: its block's timestamp (hex seconds). Sets
     * {@code reconAmount} (the value at the scale of {@code reconCurrency}: token units are its minor units, as the
     * signer pays them) and {@code reconOccurredAt} (RFC 3339).
     */
    public void transferLine(Exchange exchange) {
        Map<?, ?> log = exchange.getIn().getBody(Map.class);
        BigInteger units = Numeric.toBigInt((String) log.get("data"));
        int scale = CurrencyCode.valueOf(exchange.getProperty("reconCurrency", String.class)).scale();
        exchange.setProperty("reconAmount", new BigDecimal(units, scale));
        exchange.setProperty("reconOccurredAt",
                Instant.ofEpochSecond(quantity(exchange.getProperty("evmBlockTimestamp", String.class))).toString());
    }

    private void search(Exchange exchange, long low, long target) {
        exchange.setProperty("evmLow", low);
        exchange.setProperty("evmHigh", exchange.getProperty("evmHead", Long.class) + 1);
        exchange.setProperty("evmTarget", target);
        next(exchange);
    }

    /** The next block to read, or the end found: the first block with timestamp >= target (head + 1 if none). */
    @SuppressWarnings("unchecked")
    private void next(Exchange exchange) {
        long low = exchange.getProperty("evmLow", Long.class);
        long high = exchange.getProperty("evmHigh", Long.class);
        if (low < high) {
            long probe = low + (high - low) / 2;
            exchange.setProperty("evmProbeNumber", probe);
            exchange.setProperty("evmProbe", Numeric.toHexStringWithPrefix(BigInteger.valueOf(probe)));
            exchange.setProperty("evmSearching", true);
            return;
        }
        List<Long> bounds = exchange.getProperty("evmBounds", List.class);
        bounds.add(low);
        if (bounds.size() == 1) {
            search(exchange, low, epochSecondsAtOrAfter(exchange, "railyardTo"));
            return;
        }
        exchange.setProperty("evmSearching", false);
        exchange.setProperty("evmLastBlock", bounds.get(1) - 1);
        exchange.setProperty("evmLogs", new ArrayList<>());
        range(exchange, bounds.get(0));
    }

    private void range(Exchange exchange, long first) {
        long lastBlock = exchange.getProperty("evmLastBlock", Long.class);
        long span = Long.parseLong(exchange.getProperty("evmLogsBlockRange", String.class));
        exchange.setProperty("evmFetching", first <= lastBlock);
        exchange.setProperty("evmRangeFrom", Numeric.toHexStringWithPrefix(BigInteger.valueOf(first)));
        exchange.setProperty("evmRangeTo",
                Numeric.toHexStringWithPrefix(BigInteger.valueOf(Math.min(first + span - 1, lastBlock))));
    }

    /** Block timestamps are whole seconds: a block is at or after the instant when it is at or after its ceiling. */
    private static long epochSecondsAtOrAfter(Exchange exchange, String property) {
        Instant instant = Instant.parse(exchange.getProperty(property, String.class));
        return instant.getEpochSecond() + (instant.getNano() > 0 ? 1 : 0);
    }

    private static Object result(Exchange exchange, String method) {
        Map<?, ?> answer = exchange.getIn().getBody(Map.class);
        if (answer == null || answer.get("error") instanceof Map<?, ?>) {
            Object error = answer == null ? "no answer" : ((Map<?, ?>) answer.get("error")).get("message");
            throw new IllegalStateException(method + " refused by the node: " + error);
        }
        return answer.get("result");
    }

    static long quantity(Object hex) {
        return Numeric.toBigInt((String) hex).longValueExact();
    }
}
