package io.railyard.connector;

import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.apache.camel.Exchange;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;
import org.web3j.utils.Numeric;

/**
 * Refunds on an EVM rail (Base USDC): the hub cannot take tokens back, only the beneficiary can send them, so a refund
 * is settled by a return transfer the hub finds on chain. The connector's YAML reads the token's Transfer logs from the
 * beneficiary to the hot wallet after the payout's block ({@link EvmBlocks#logsAfter}); here one of them, of exactly
 * the refund's amount, is claimed for the refund ({@code evm_return_claims}: a log settles one refund only).
 */
@Component("evmReturns")
public class EvmReturns {

    private final JdbcClient jdbc;

    public EvmReturns(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /**
     * Reads the claimed refund's transfer ({@code railyardTransfer}) and {@code evmSender} (the hot wallet); sets
     * {@code evmFromTopic} (the original beneficiary, who sends the return) and {@code evmToTopic} (the hot wallet).
     */
    public void topics(Exchange exchange) {
        exchange.setProperty("evmFromTopic", EvmBlocks.topic(beneficiary(exchange)));
        exchange.setProperty("evmToTopic", EvmBlocks.topic(exchange.getProperty("evmSender", String.class)));
    }

    /**
     * Reads {@code evmLogs} (the Transfer logs from the beneficiary to the hot wallet after the payout), {@code evmHead},
     * {@code evmConfirmations}, {@code evmRefundWait} (ISO-8601) and the claimed refund's; sets the refund's rail status:
     * {@code returned} with {@code railyardRailReference} = {@code <tx hash>:<log index>} (a confirmed return of exactly
     * the amount, claimed now or by an earlier look), {@code returning} (such a return, not confirmed yet),
     * {@code awaiting_return}, or {@code not_received} once {@code evmRefundWait} has passed since the refund was asked.
     * Equal refunds awaited from one address take the returns in order: the oldest refund the first return. Sets
     * {@code railyardRailDetails}: where and what the beneficiary must send back ({@code return_to}, {@code return_from},
     * {@code token_contract}, {@code token_units}), and {@code awaited_until}.
     */
    @Transactional
    public void match(Exchange exchange) {
        String rail = exchange.getProperty("railyardRail", String.class);
        UUID refundId = UUID.fromString(exchange.getProperty("railyardRefundId", String.class));
        String from = beneficiary(exchange).toLowerCase();
        String hotWallet = exchange.getProperty("evmSender", String.class).toLowerCase();
        long amountMinor = exchange.getProperty("railyardAmountMinor", Long.class);
        Map<?, ?> refund = exchange.getProperty("railyardRefund", Map.class);
        Instant askedAt = Instant.parse((String) refund.get("created_at"));
        Duration wait = Duration.parse(exchange.getProperty("evmRefundWait", String.class));
        // what the partner needs to have the beneficiary send the refund back (GET /v1/refunds/{id}: rail_details)
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("return_to", hotWallet);
        details.put("return_from", from);
        details.put("token_contract", exchange.getProperty("evmContract", String.class));
        details.put("token_units", Long.toString(amountMinor));
        details.put("awaited_until", askedAt.plus(wait).toString());
        exchange.setProperty("railyardRailDetails", details);
        // one matcher per beneficiary at a time until commit: two refunds must not claim the same return
        jdbc.sql("select pg_advisory_xact_lock(hashtextextended('evm-return:' || ? || ':' || ?, 0)) is null")
                .params(rail, from).query(Boolean.class).single();
        Optional<String> claimed = jdbc.sql("""
                select tx_hash || ':' || log_index from evm_return_claims where refund_id = ?""").param(refundId)
                .query(String.class).optional();
        if (claimed.isPresent()) {
            returned(exchange, claimed.get());
            return;
        }
        // refunds of the same amount awaited from the same address, asked before this one and still unserved
        long ahead = jdbc.sql("""
                select count(*) from refunds r join transfers t on t.id = r.transfer_id
                where r.rail = ? and r.kind = 'REFUND' and r.status in ('PENDING', 'SUBMITTED')
                    and r.destination_amount_minor = ? and lower(t.beneficiary ->> 'address') = ?
                    and (r.created_at, r.id) < (select created_at, id from refunds where id = ?)
                    and r.created_at + make_interval(secs => ?) > clock_timestamp()
                    and not exists (select 1 from evm_return_claims c where c.refund_id = r.id)""")
                .params(rail, amountMinor, from, refundId, (double) wait.toSeconds()).query(Long.class).single();
        long head = EvmBlocks.quantity(exchange.getProperty("evmHead", String.class));
        long confirmations = Long.parseLong(exchange.getProperty("evmConfirmations", String.class));
        BigInteger units = BigInteger.valueOf(amountMinor);
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> logs = exchange.getProperty("evmLogs", List.class);
        List<Map<String, Object>> candidates = logs.stream()
                .filter(log -> !Boolean.TRUE.equals(log.get("removed")))
                .filter(log -> Numeric.toBigInt((String) log.get("data")).equals(units)).toList();
        // the returns already claimed among them, in one read
        Set<String> taken = new HashSet<>(jdbc.sql("""
                select tx_hash || ':' || log_index from evm_return_claims where rail = ? and tx_hash = any(?)""")
                .params(rail, candidates.stream().map(log -> log.get("transactionHash")).toArray(String[]::new))
                .query(String.class).list());
        Optional<Map<String, Object>> next = candidates.stream()
                .filter(log -> !taken.contains(
                        log.get("transactionHash") + ":" + EvmBlocks.quantity(log.get("logIndex"))))
                .sorted(Comparator.<Map<String, Object>>comparingLong(log -> EvmBlocks.quantity(log.get("blockNumber")))
                        .thenComparingLong(log -> EvmBlocks.quantity(log.get("logIndex"))))
                .skip(ahead).findFirst();
        if (next.isPresent()) {
            long block = EvmBlocks.quantity(next.get().get("blockNumber"));
            if (head - block + 1 < confirmations) {
                exchange.setProperty("railyardRailStatus", "returning");
                return;
            }
            String hash = (String) next.get().get("transactionHash");
            long logIndex = EvmBlocks.quantity(next.get().get("logIndex"));
            jdbc.sql("""
                    insert into evm_return_claims (refund_id, rail, tx_hash, log_index, block_number)
                    values (?, ?, ?, ?, ?)""").params(refundId, rail, hash, logIndex, block).update();
            returned(exchange, hash + ":" + logIndex);
        } else if (Instant.now().isAfter(askedAt.plus(wait))) {
            exchange.setProperty("railyardRailStatus", "not_received");
            exchange.setProperty("railyardFailureCode", "return_not_received");
            exchange.setProperty("railyardFailureReason", "no return of " + amountMinor + " token units from " + from
                    + " to " + hotWallet + " within " + wait);
        } else {
            exchange.setProperty("railyardRailStatus", "awaiting_return");
        }
    }

    private static void returned(Exchange exchange, String reference) {
        exchange.setProperty("railyardRailStatus", "returned");
        exchange.setProperty("railyardRailReference", reference);
    }

    @SuppressWarnings("unchecked")
    private static String beneficiary(Exchange exchange) {
        Map<String, Object> destination = (Map<String, Object>) exchange.getProperty("railyardTransfer", Map.class)
                .get("destination");
        return (String) destination.get("address");
    }
}
