package io.railyard.connector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.railyard.ledger.AccountKey;
import io.railyard.ledger.AccountKind;
import io.railyard.ledger.CurrencyCode;
import io.railyard.ledger.LedgerInvariants;
import io.railyard.transfer.TransferFixtures;
import java.math.BigInteger;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.camel.builder.NotifyBuilder;
import org.junit.jupiter.api.Test;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.web3j.utils.Numeric;

/**
 * The Base rail against a real EVM node: anvil (chain 8453) with the RailyardUsdc token, the hub's hot wallet funded
 * on chain, and the shipped base-usdc connector pointed at it by configuration only (rpc-url, usdc-contract, chain-id,
 * private-key). Transfers go through the public API; the chain is the witness: receipts, token balances, nonces and
 * Transfer logs. Its own hub (its own port, scheduler and Camel name), closed after the class.
 */
@DirtiesContext
class BaseAnvilTest extends AnvilHubTest {

    private static final BigInteger HOT_WALLET_FLOAT = BigInteger.valueOf(10_000_000_000L); // 10,000 USDC

    @DynamicPropertySource
    static void baseOnAnvil(DynamicPropertyRegistry registry) {
        anvil = AnvilNode.startFor(registry, "railyard-base-anvil", HOT_WALLET_FLOAT);
    }

    @Test
    void transfersSettleOnChainWithExactTokenBalancesAfterTwoConfirmations() {
        TestPartner partner = newPartner("1000 USDC");
        long railBefore = ledger.balance(AccountKey.rail("base-usdc", CurrencyCode.USDC, AccountKind.SETTLEMENT));
        BigInteger walletBefore = anvil.balanceOf(AnvilNode.HOT_WALLET);
        Map<String, Long> amounts = Map.of("0.000001", 1L, "12.5", 12_500_000L, "250.123456", 250_123_456L);
        Map<String, String> beneficiaries = new HashMap<>();
        Map<String, String> ids = new HashMap<>();
        amounts.keySet().forEach(amount -> {
            String address = freshAddress();
            beneficiaries.put(amount, address);
            ids.put(amount, create(partner, address, amount));
        });

        long total = 0;
        for (Map.Entry<String, Long> amount : amounts.entrySet()) {
            String id = ids.get(amount.getKey());
            JsonNode settled = awaitFinal(partner, id);
            assertThat(settled.get("status").asText()).as(settled.toString()).isEqualTo("SETTLED");
            String hash = settled.get("rail_reference").asText();
            JsonNode receipt = anvil.call("eth_getTransactionReceipt", hash);
            assertThat(receipt.get("status").asText()).isEqualTo("0x1");
            assertThat(receipt.get("from").asText()).isEqualTo(AnvilNode.HOT_WALLET);
            assertThat(receipt.get("to").asText()).isEqualToIgnoringCase(anvil.token());
            assertThat(receipt.get("logs")).as("one ERC-20 Transfer").hasSize(1);
            assertThat(receipt.at("/logs/0/topics/2").asText()).endsWith(
                    beneficiaries.get(amount.getKey()).substring(2).toLowerCase());
            assertThat(Numeric.toBigInt(receipt.at("/logs/0/data").asText())).isEqualTo(BigInteger.valueOf(amount.getValue()));
            // settled only once the block after the receipt's was mined (confirmations: 2)
            long mined = Numeric.toBigInt(receipt.get("blockNumber").asText()).longValueExact();
            Instant confirmedAt = Instant.ofEpochSecond(Numeric.toBigInt(anvil.call("eth_getBlockByNumber",
                    Numeric.toHexStringWithPrefix(BigInteger.valueOf(mined + 1)), false).get("timestamp").asText())
                    .longValueExact());
            assertThat(settledAt(id)).isAfterOrEqualTo(confirmedAt);
            assertThat(anvil.balanceOf(beneficiaries.get(amount.getKey())))
                    .as("6 decimals on chain = USDC minor units").isEqualTo(BigInteger.valueOf(amount.getValue()));
            total += amount.getValue();
        }
        assertThat(anvil.balanceOf(AnvilNode.HOT_WALLET)).isEqualTo(walletBefore.subtract(BigInteger.valueOf(total)));
        assertThat(ledger.balance(AccountKey.rail("base-usdc", CurrencyCode.USDC, AccountKind.SETTLEMENT)) - railBefore)
                .isEqualTo(total);
        assertThat(ledger.balance(partner.account(CurrencyCode.USDC, AccountKind.IN_FLIGHT))).isZero();
        LedgerInvariants.assertHold(jdbc);
    }

    @Test
    void concurrentPayoutsFromTheHotWalletTakeDistinctConsecutiveNonces() {
        TestPartner partner = newPartner("100 USDC");
        String beneficiary = freshAddress();
        long nonceBefore = anvil.nonce(AnvilNode.HOT_WALLET);
        // identical payouts at the same moment: only the nonce tells their transactions apart
        ExecutorService clients = Executors.newFixedThreadPool(10);
        List<String> ids;
        try {
            List<CompletableFuture<String>> created = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                created.add(CompletableFuture.supplyAsync(() -> create(partner, beneficiary, "1.25"), clients));
            }
            ids = created.stream().map(CompletableFuture::join).toList();
        } finally {
            clients.shutdown();
        }
        ids.forEach(id -> assertThat(awaitFinal(partner, id).get("status").asText()).isEqualTo("SETTLED"));

        List<Long> nonces = new ArrayList<>();
        for (String id : ids) {
            String hash = jdbc.sql("select rail_reference from transfers where id = ?::uuid").param(id)
                    .query(String.class).single();
            JsonNode transaction = anvil.call("eth_getTransactionByHash", hash);
            assertThat(transaction.get("from").asText()).isEqualTo(AnvilNode.HOT_WALLET);
            assertThat(anvil.call("eth_getTransactionReceipt", hash).get("status").asText()).isEqualTo("0x1");
            nonces.add(Numeric.toBigInt(transaction.get("nonce").asText()).longValueExact());
        }
        assertThat(nonces).doesNotHaveDuplicates().hasSize(10);
        assertThat(nonces.stream().mapToLong(Long::longValue).min().orElseThrow()).isEqualTo(nonceBefore);
        assertThat(anvil.nonce(AnvilNode.HOT_WALLET)).as("ten transactions, no gap").isEqualTo(nonceBefore + 10);
        assertThat(anvil.balanceOf(beneficiary)).isEqualTo(BigInteger.valueOf(12_500_000));
        LedgerInvariants.assertHold(jdbc);
    }

    @Test
    void aRetryOfTheSameTransferNeverSendsItTwice() {
        TestPartner partner = newPartner("100 USDC");
        String beneficiary = freshAddress();
        long nonceBefore = anvil.nonce(AnvilNode.HOT_WALLET);
        // no blocks: the payout waits in the pool until the connector stops polling and the recheck sweep resends it
        anvil.mining(false);
        NotifyBuilder sentAndResent = new NotifyBuilder(camel).fromRoute("payout.base-usdc.submit").whenDone(2)
                .create();
        String id;
        try {
            id = create(partner, beneficiary, "7.77");
            assertThat(sentAndResent.matches(60, TimeUnit.SECONDS)).as("the payout and one recheck").isTrue();
            String hash = jdbc.sql("select tx_hash from evm_transactions where transfer_id = ?::uuid").param(id)
                    .query(String.class).single();
            // the node refuses the bytes it already has ("transaction already imported"): still one transaction
            assertThat(anvil.answer("eth_sendRawTransaction", jdbc.sql(
                    "select raw_tx from evm_transactions where transfer_id = ?::uuid").param(id).query(String.class)
                    .single()).at("/error/message").asText()).contains("already");
            assertThat(anvil.call("eth_getTransactionByHash", hash).get("blockNumber").isNull()).isTrue();
            assertThat(status(id)).as("a resent transaction is not a refused one").isEqualTo("SUBMITTED");
        } finally {
            anvil.mining(true);
        }
        assertThat(awaitFinal(partner, id).get("status").asText()).isEqualTo("SETTLED");

        // asked again once mined: the node answers "nonce too low" for the same bytes, which is still not a refusal
        NotifyBuilder resent = new NotifyBuilder(camel).fromRoute("payout.base-usdc.submit").whenDone(1).create();
        producer.sendBodyAndHeaders("kafka:railyard.rail.base-usdc.instruction.v1",
                "{\"data\":{\"id\":\"" + id + "\",\"object\":\"transfer\"}}",
                Map.of(RailGate.RECHECK_HEADER, "true", "kafka.KEY", id));
        assertThat(resent.matches(30, TimeUnit.SECONDS)).isTrue();
        assertThat(status(id)).isEqualTo("SETTLED");
        assertThat(jdbc.sql("select count(*) from settlement_results where transfer_id = ?::uuid and outcome <> "
                + "'SETTLED'").param(id).query(Long.class).single()).isZero();
        assertThat(jdbc.sql("select needs_review from transfers where id = ?::uuid").param(id).query(Boolean.class)
                .single()).isFalse();

        assertThat(anvil.nonce(AnvilNode.HOT_WALLET)).as("one transaction").isEqualTo(nonceBefore + 1);
        assertThat(anvil.balanceOf(beneficiary)).as("paid once").isEqualTo(BigInteger.valueOf(7_770_000));
        assertThat(jdbc.sql("select count(*) from evm_transactions where transfer_id = ?::uuid").param(id)
                .query(Long.class).single()).isEqualTo(1);
        LedgerInvariants.assertHold(jdbc);
    }

    @Test
    void aTransferTheHotWalletCannotCoverRevertsOnChainAndGivesTheHoldBack() {
        TestPartner partner = newPartner("50000 USDC");
        long railBefore = ledger.balance(AccountKey.rail("base-usdc", CurrencyCode.USDC, AccountKind.SETTLEMENT));
        String beneficiary = freshAddress();
        assertThat(anvil.balanceOf(AnvilNode.HOT_WALLET)).isLessThan(BigInteger.valueOf(20_000_000_000L));

        String id = create(partner, beneficiary, "20000");
        JsonNode failed = awaitFinal(partner, id);

        assertThat(failed.get("status").asText()).as(failed.toString()).isEqualTo("FAILED");
        JsonNode receipt = anvil.call("eth_getTransactionReceipt", failed.get("rail_reference").asText());
        assertThat(receipt.get("status").asText()).as("mined and reverted").isEqualTo("0x0");
        assertThat(receipt.get("logs")).isEmpty();
        assertThat(anvil.balanceOf(beneficiary)).isZero();
        assertThat(ledger.balance(partner.account(CurrencyCode.USDC, AccountKind.AVAILABLE))).isEqualTo(50_000_000_000L);
        assertThat(ledger.balance(partner.account(CurrencyCode.USDC, AccountKind.IN_FLIGHT))).isZero();
        assertThat(ledger.balance(AccountKey.rail("base-usdc", CurrencyCode.USDC, AccountKind.SETTLEMENT)))
                .isEqualTo(railBefore);
        LedgerInvariants.assertHold(jdbc);
    }

    @Test
    void aPayoutTheNodeRefusesFailsAndLeavesNoNonceGapBehind() {
        TestPartner partner = newPartner("100 USDC");
        long nonce = anvil.nonce(AnvilNode.HOT_WALLET);
        String gasMoney = anvil.call("eth_getBalance", AnvilNode.HOT_WALLET, "latest").asText();
        anvil.call("anvil_setBalance", AnvilNode.HOT_WALLET, "0x0");
        String refused;
        try {
            refused = create(partner, freshAddress(), "2.00");
            JsonNode failed = awaitFinal(partner, refused);
            assertThat(failed.get("status").asText()).as(failed.toString()).isEqualTo("FAILED");
            assertThat(failed.at("/failure/code").asText()).isEqualTo("rpc_rejected");
            assertThat(failed.at("/failure/reason").asText()).containsIgnoringCase("insufficient funds");
        } finally {
            anvil.call("anvil_setBalance", AnvilNode.HOT_WALLET, gasMoney);
        }
        // asked again, the refused transaction is not sent again: its nonce goes to the next payout
        NotifyBuilder askedAgain = new NotifyBuilder(camel).fromRoute("payout.base-usdc.submit").whenDone(1).create();
        producer.sendBodyAndHeaders("kafka:railyard.rail.base-usdc.instruction.v1",
                "{\"data\":{\"id\":\"" + refused + "\",\"object\":\"transfer\"}}",
                Map.of(RailGate.RECHECK_HEADER, "true", "kafka.KEY", refused));
        assertThat(askedAgain.matches(30, TimeUnit.SECONDS)).isTrue();
        assertThat(anvil.call("eth_getTransactionByHash", jdbc.sql(
                "select tx_hash from evm_transactions where transfer_id = ?::uuid").param(refused).query(String.class)
                .single()).isNull()).isTrue();

        String beneficiary = freshAddress();
        String next = create(partner, beneficiary, "3.00");
        JsonNode settled = awaitFinal(partner, next);
        assertThat(settled.get("status").asText()).as(settled.toString()).isEqualTo("SETTLED");
        assertThat(Numeric.toBigInt(anvil.call("eth_getTransactionByHash", settled.get("rail_reference").asText())
                .get("nonce").asText()).longValueExact()).as("the refused transaction's nonce").isEqualTo(nonce);
        assertThat(anvil.nonce(AnvilNode.HOT_WALLET)).isEqualTo(nonce + 1);
        assertThat(anvil.balanceOf(beneficiary)).isEqualTo(BigInteger.valueOf(3_000_000));
        assertThat(ledger.balance(partner.account(CurrencyCode.USDC, AccountKind.AVAILABLE))).isEqualTo(97_000_000);
        LedgerInvariants.assertHold(jdbc);
    }

    @Test
    void reconciliationReadsTheTransferLogsFromTheNode() {
        TestPartner partner = newPartner("50000 USDC");
        // a period starting on a whole second: every block mined from now on has a timestamp inside it
        Instant from = Instant.now().truncatedTo(ChronoUnit.SECONDS).plusSeconds(1);
        await().atMost(Duration.ofSeconds(2)).until(() -> Instant.now().isAfter(from));
        String first = create(partner, freshAddress(), "3.000001");
        String second = create(partner, freshAddress(), "4.5");
        String reverted = create(partner, freshAddress(), "20000");
        assertThat(awaitFinal(partner, first).get("status").asText()).isEqualTo("SETTLED");
        assertThat(awaitFinal(partner, second).get("status").asText()).isEqualTo("SETTLED");
        assertThat(awaitFinal(partner, reverted).get("status").asText()).isEqualTo("FAILED");
        // the hot wallet's key paying outside the hub: on chain, unknown to the ledger
        String stranger = anvil.transferAs(AnvilNode.HOT_WALLET, freshAddress(), BigInteger.valueOf(990_000));
        anvil.awaitReceipt(stranger);
        Instant to = Instant.now().plusSeconds(2);

        Reply reply = call("POST", "/v1/reconciliation/runs").asOps().json(Map.of("rail", "base-usdc",
                "from", from.toString(), "to", to.toString())).send();
        assertThat(reply.status()).as(reply.toString()).isEqualTo(201);
        JsonNode run = reply.json();
        assertThat(run.get("status").asText()).as(run.toString()).isEqualTo("COMPLETED");
        assertThat(run.get("ledger_transfers").asInt()).as(run.toString()).isEqualTo(3);
        assertThat(run.get("statement_lines").asInt()).as("two payouts and the stranger; a revert logs nothing")
                .isEqualTo(3);
        assertThat(run.get("matched_transfers").asInt()).isEqualTo(2);
        assertThat(run.get("report").get("matched_by_rule").get("rail_reference").asInt()).isEqualTo(2);
        JsonNode totals = run.get("report").get("currencies").elements().next();
        assertThat(totals.get("matched_statement_total_minor").asLong()).isEqualTo(3_000_001L + 4_500_000L);
        JsonNode discrepancies = call("GET", "/v1/reconciliation/discrepancies?run_id=" + run.get("id").asText())
                .asOps().send().json().get("data");
        assertThat(discrepancies).hasSize(1);
        assertThat(discrepancies.get(0).get("type").asText()).isEqualTo("missing_in_ledger");
        assertThat(discrepancies.get(0).get("rail_reference").asText()).isEqualTo(stranger);
        assertThat(discrepancies.get(0).get("rail_amount").asText()).isEqualTo("0.990000");
    }

    private String create(TestPartner partner, String address, String amount) {
        return createTransfer(partner, TransferFixtures.body(amount, "USDC", Map.of("currency", "USDC",
                "network", "base", "address", address)));
    }

    private JsonNode awaitFinal(TestPartner partner, String id) {
        JsonNode[] last = new JsonNode[1];
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
            last[0] = call("GET", "/v1/transfers/" + id).as(partner).send().json();
            return List.of("SETTLED", "FAILED", "RETURNED").contains(last[0].get("status").asText());
        });
        return last[0];
    }

    private String status(String id) {
        return jdbc.sql("select status from transfers where id = ?::uuid").param(id).query(String.class).single();
    }

    private Instant settledAt(String id) {
        return jdbc.sql("select at from transfer_transitions where transfer_id = ?::uuid and to_status = 'SETTLED'")
                .param(id).query(Timestamp.class).single().toInstant();
    }

    private static String freshAddress() {
        return AnvilNode.freshAddress();
    }

}
