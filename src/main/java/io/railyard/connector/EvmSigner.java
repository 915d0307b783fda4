package io.railyard.connector;

import java.math.BigInteger;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.camel.Exchange;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;
import org.web3j.abi.FunctionEncoder;
import org.web3j.abi.datatypes.Address;
import org.web3j.abi.datatypes.Function;
import org.web3j.abi.datatypes.generated.Uint256;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Hash;
import org.web3j.crypto.RawTransaction;
import org.web3j.crypto.TransactionEncoder;
import org.web3j.utils.Numeric;

/**
 * Signs ERC-20 {@code transfer(to, amount)} transactions for EVM rails (Base USDC). Cryptography is the one thing a
 * YAML connector cannot do, so it lives here, usable by any EVM rail. The signed bytes are stored per transfer before
 * they are sent: every retry sends the same transaction (same hash), and the nonce of a transfer is never reused,
 * unless the node refused its transaction outright ({@link #refused}): then the nonce goes to the next payout.
 */
@Component("evmSigner")
public class EvmSigner {

    private final JdbcClient jdbc;

    public EvmSigner(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /**
     * Reads properties {@code evmPrivateKey}, {@code evmChainId}, {@code evmContract}, {@code evmGasPrice},
     * {@code evmGasLimit}, {@code evmChainNonce} (the node's pending nonce of the sender) and the claimed transfer's;
     * sets {@code evmRawTx} and {@code railyardRailReference} (the transaction hash). A transaction the node refused
     * before is not to be sent again: {@code railyardRejected} is set instead, with its failure code and reason, and no
     * rail reference (that hash was never on chain).
     */
    @Transactional
    public void sign(Exchange exchange) {
        String rail = exchange.getProperty("railyardRail", String.class);
        UUID transferId = UUID.fromString(exchange.getProperty("railyardTransferId", String.class));
        Optional<Map<String, Object>> signed = jdbc.sql("""
                select raw_tx, tx_hash, refused_at is not null as refused from evm_transactions where transfer_id = ?""")
                .param(transferId).query().listOfRows().stream().findFirst();
        if (signed.isEmpty()) {
            Credentials credentials = Credentials.create(exchange.getProperty("evmPrivateKey", String.class));
            String sender = credentials.getAddress().toLowerCase();
            long chainNonce = Numeric.toBigInt(exchange.getProperty("evmChainNonce", String.class)).longValueExact();
            // one signer per sender at a time until commit: concurrent payouts must not pick the same nonce
            jdbc.sql("select pg_advisory_xact_lock(hashtextextended(? || ':' || ?, 0)) is null").params(rail, sender)
                    .query(Boolean.class).single();
            // the first nonce from the node's pending one that no live transaction of the sender holds: signed but not
            // yet sent ones count, and a nonce a refused transaction left is taken again (no gap on the node)
            long nonce = jdbc.sql("""
                    select min(c.nonce) from (
                        select ?::bigint as nonce
                        union all
                        select nonce + 1 from evm_transactions
                        where rail = ? and sender = ? and refused_at is null and nonce >= ?) c
                    where not exists (select 1 from evm_transactions e
                                      where e.rail = ? and e.sender = ? and e.refused_at is null and e.nonce = c.nonce)""")
                    .params(chainNonce, rail, sender, chainNonce, rail, sender).query(Long.class).single();
            @SuppressWarnings("unchecked")
            Map<String, Object> destination = (Map<String, Object>) exchange.getProperty("railyardTransfer", Map.class)
                    .get("destination");
            String data = FunctionEncoder.encode(new Function("transfer", List.of(
                    new Address((String) destination.get("address")),
                    new Uint256(BigInteger.valueOf(exchange.getProperty("railyardAmountMinor", Long.class)))),
                    List.of()));
            RawTransaction transaction = RawTransaction.createTransaction(BigInteger.valueOf(nonce),
                    new BigInteger(exchange.getProperty("evmGasPrice", String.class)),
                    new BigInteger(exchange.getProperty("evmGasLimit", String.class)),
                    exchange.getProperty("evmContract", String.class), data);
            byte[] bytes = TransactionEncoder.signMessage(transaction,
                    Long.parseLong(exchange.getProperty("evmChainId", String.class)), credentials);
            String raw = Numeric.toHexString(bytes);
            String hash = Numeric.toHexString(Hash.sha3(bytes));
            // the unique live (rail, sender, nonce) stays the last guard, should a signer ever run outside this lock
            jdbc.sql("insert into evm_transactions (transfer_id, rail, sender, nonce, raw_tx, tx_hash) values (?, ?, ?, ?, ?, ?)")
                    .params(transferId, rail, sender, nonce, raw, hash).update();
            signed = Optional.of(Map.of("raw_tx", raw, "tx_hash", hash, "refused", false));
        }
        if (Boolean.TRUE.equals(signed.get().get("refused"))) {
            exchange.removeProperty("railyardRailReference");
            exchange.setProperty("railyardRejected", true);
            exchange.setProperty("railyardFailureCode", "rpc_rejected");
            exchange.setProperty("railyardFailureReason", "the node refused this transaction; it is not sent again");
            return;
        }
        exchange.setProperty("evmRawTx", signed.get().get("raw_tx"));
        exchange.setProperty("railyardRailReference", signed.get().get("tx_hash"));
    }

    /**
     * The node refused the transfer's signed transaction outright (it does not know its hash): nothing was sent, so its
     * nonce is free for the sender's next payout, as a real node would hold every later transaction behind the gap;
     * the transaction itself is never sent again, and the transfer keeps no rail reference ({@code
     * railyardRailReference} is removed: the next payout may sign the very same bytes).
     */
    public void refused(Exchange exchange) {
        jdbc.sql("update evm_transactions set refused_at = coalesce(refused_at, clock_timestamp()) where transfer_id = ?")
                .param(UUID.fromString(exchange.getProperty("railyardTransferId", String.class))).update();
        exchange.removeProperty("railyardRailReference");
    }

    /** Sets {@code evmSender}: the address of {@code evmPrivateKey}, whose nonce the node is asked for. */
    public void prepare(Exchange exchange) {
        exchange.setProperty("evmSender", Credentials.create(exchange.getProperty("evmPrivateKey", String.class))
                .getAddress());
    }

    /**
     * From the receipt (body: JSON-RPC response as a map) and the chain head ({@code evmHead}), the rail status:
     * {@code pending} (no receipt, or fewer than {@code evmConfirmations} blocks), {@code confirmed} or {@code reverted}.
     */
    public void receiptStatus(Exchange exchange) {
        Map<?, ?> receipt = exchange.getIn().getBody(Map.class).get("result") instanceof Map<?, ?> r ? r : null;
        String status;
        if (receipt == null || receipt.get("blockNumber") == null) {
            status = "pending";
        } else {
            long mined = Numeric.toBigInt((String) receipt.get("blockNumber")).longValueExact();
            long head = Numeric.toBigInt(exchange.getProperty("evmHead", String.class)).longValueExact();
            long needed = Long.parseLong(exchange.getProperty("evmConfirmations", String.class));
            boolean success = "0x1".equals(receipt.get("status"));
            status = !success ? "reverted" : head - mined + 1 >= needed ? "confirmed" : "pending";
        }
        exchange.setProperty("railyardRailStatus", status);
    }
}
