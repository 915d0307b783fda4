package io.railyard.connector;

import static org.assertj.core.api.Assertions.assertThat;

import io.railyard.HubTest;
import io.railyard.transfer.TransferFixtures;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/** Nonce allocation when several payouts from one sender are signed at the same moment. */
class EvmSignerTest extends HubTest {

    private static final String KEY = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";

    @Autowired
    EvmSigner signer;
    @Autowired
    CamelContext camel;

    @Test
    void identicalPayoutsSignedConcurrentlyGetConsecutiveNoncesAndDistinctHashes() throws Exception {
        // pix transfers lend their ids: the signer only needs existing transfers, not their rail
        TestPartner partner = newPartner("1000 BRL");
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            ids.add(pixTransfer(partner));
        }
        String rail = "nonce-race-" + UUID.randomUUID();
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(ids.size());
        try {
            List<CompletableFuture<String>> signed = ids.stream().map(id -> CompletableFuture.supplyAsync(() -> {
                Exchange exchange = payout(rail, id);
                await(start);
                signer.sign(exchange);
                return exchange.getProperty("railyardRailReference", String.class);
            }, pool)).toList();
            start.countDown();
            // the same amount to the same address: only the nonce tells the signed transactions apart
            assertThat(signed.stream().map(CompletableFuture::join).distinct()).hasSize(ids.size());
        } finally {
            pool.shutdownNow();
        }
        assertThat(jdbc.sql("select nonce from evm_transactions where rail = ? order by nonce").param(rail)
                .query(Long.class).list()).containsExactly(5L, 6L, 7L, 8L, 9L, 10L, 11L, 12L, 13L, 14L, 15L, 16L);
    }

    @Test
    void aTransactionTheNodeRefusedFreesItsNonceAndIsNeverSentAgain() {
        TestPartner partner = newPartner("10 BRL");
        String refusedId = pixTransfer(partner);
        String nextId = pixTransfer(partner);
        String rail = "refused-" + UUID.randomUUID();
        // another amount than the other test's payouts: the same sender and nonce would sign the very same bytes
        Exchange first = payout(rail, refusedId, 2_000_000);
        signer.sign(first);
        signer.refused(first);

        Exchange again = payout(rail, refusedId, 2_000_000);
        signer.sign(again);
        assertThat(first.getProperty("railyardRailReference")).as("a refused hash is no rail reference").isNull();
        assertThat(again.getProperty("evmRawTx")).isNull();
        assertThat(again.getProperty("railyardRailReference")).isNull();
        assertThat(again.getProperty("railyardRejected", Boolean.class)).as("not to be sent again").isTrue();
        assertThat(again.getProperty("railyardFailureCode")).isEqualTo("rpc_rejected");

        Exchange next = payout(rail, nextId, 2_000_000);
        signer.sign(next);
        assertThat(next.getProperty("railyardRejected")).isNull();
        assertThat(jdbc.sql("select nonce from evm_transactions where rail = ? order by nonce, refused_at nulls first")
                .param(rail).query(Long.class).list()).as("the refused nonce, taken again").containsExactly(5L, 5L);
        assertThat(next.getProperty("railyardRailReference")).as("the very same bytes: same nonce, recipient, amount")
                .isEqualTo(jdbc.sql("select tx_hash from evm_transactions where transfer_id = ?::uuid").param(refusedId)
                        .query(String.class).single());
    }

    private String pixTransfer(TestPartner partner) {
        return createTransfer(partner, TransferFixtures.pix("1.00"));
    }

    private Exchange payout(String rail, String transferId) {
        return payout(rail, transferId, 1_000_000);
    }

    private Exchange payout(String rail, String transferId, long amountMinor) {
        Exchange exchange = new DefaultExchange(camel);
        exchange.setProperty("railyardRail", rail);
        exchange.setProperty("railyardTransferId", transferId);
        exchange.setProperty("railyardTransfer", Map.of("destination", Map.of("address", TransferFixtures.BASE_ADDRESS)));
        exchange.setProperty("railyardAmountMinor", amountMinor);
        exchange.setProperty("evmPrivateKey", KEY);
        exchange.setProperty("evmChainNonce", "0x5"); // the node's pending nonce of the sender
        exchange.setProperty("evmChainId", "8453");
        exchange.setProperty("evmContract", "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913");
        exchange.setProperty("evmGasPrice", "1000000");
        exchange.setProperty("evmGasLimit", "65000");
        return exchange;
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
