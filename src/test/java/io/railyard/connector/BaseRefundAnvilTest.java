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
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.camel.builder.NotifyBuilder;
import org.junit.jupiter.api.Test;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.web3j.utils.Numeric;

/**
 * Refunds on the Base rail against a real EVM node (anvil, as {@link BaseAnvilTest}): the hub cannot pull tokens back,
 * so the beneficiary sends them to the hot wallet (anvil signs for it: anvil_impersonateAccount) and the refund settles
 * when that return is confirmed on chain. Rechecks every second or so (recheck-after PT1S, doubling) and a refund-wait
 * of 25 s, so a return that never comes fails within the test.
 */
@DirtiesContext
class BaseRefundAnvilTest extends AnvilHubTest {

    private static final String REFUND_WAIT = "PT25S";

    @DynamicPropertySource
    static void baseOnAnvil(DynamicPropertyRegistry registry) {
        anvil = AnvilNode.startFor(registry, "railyard-base-refunds", BigInteger.valueOf(1_000_000_000L));
        registry.add("railyard.settlement.recheck-after", () -> "PT1S");
        registry.add("railyard.connectors.base-usdc.refund-wait", () -> REFUND_WAIT);
    }

    @Test
    void refundsSettleOnlyWhenTheBeneficiaryReturnsExactlyTheirAmountToTheHotWallet() {
        Paid paid = pay("10.00");
        TestPartner partner = paid.partner();
        String beneficiary = paid.beneficiary();
        String transfer = paid.transfer();
        long available = available(partner);
        long rail = balance(railAccount());
        BigInteger wallet = anvil.balanceOf(AnvilNode.HOT_WALLET);

        String key = UUID.randomUUID().toString();
        Reply asked = refund(partner, transfer, key, Map.of("amount", "4.00"));
        assertThat(asked.status()).as(asked.toString()).isEqualTo(201);
        assertThat(asked.json().get("status").asText()).isEqualTo("PENDING");
        String partial = asked.json().get("id").asText();
        JsonNode awaiting = awaitRailStatus(partner, partial, "awaiting_return");
        assertThat(awaiting.get("status").asText()).isIn("PENDING", "SUBMITTED");
        assertThat(awaiting.has("rail_reference")).isFalse();
        // what the partner passes on to the beneficiary: send these token units of this contract back to this address
        assertThat(awaiting.at("/rail_details/return_to").asText()).isEqualTo(AnvilNode.HOT_WALLET);
        assertThat(awaiting.at("/rail_details/return_from").asText()).isEqualTo(beneficiary.toLowerCase());
        assertThat(awaiting.at("/rail_details/token_contract").asText()).isEqualToIgnoringCase(anvil.token());
        assertThat(awaiting.at("/rail_details/token_units").asText()).isEqualTo("4000000");
        assertThat(Instant.parse(awaiting.at("/rail_details/awaited_until").asText()))
                .isEqualTo(Instant.parse(awaiting.get("created_at").asText()).plus(Duration.parse(REFUND_WAIT)));
        // nothing moves while the return has not come: not on chain, not in the ledger
        assertThat(anvil.balanceOf(beneficiary)).isEqualTo(BigInteger.valueOf(10_000_000));
        assertThat(anvil.balanceOf(AnvilNode.HOT_WALLET)).isEqualTo(wallet);
        assertThat(available(partner)).isEqualTo(available);
        assertThat(balance(railAccount())).isEqualTo(rail);

        // a return of another amount is no return of this refund
        String wrong = anvil.transferAsOwner(beneficiary, AnvilNode.HOT_WALLET, BigInteger.valueOf(3_990_000));
        confirm(wrong);
        look(partial);
        JsonNode stillAwaiting = refundView(partner, partial);
        assertThat(stillAwaiting.get("status").asText()).as(stillAwaiting.toString()).isEqualTo("SUBMITTED");
        assertThat(stillAwaiting.get("rail_status").asText()).isEqualTo("awaiting_return");

        String right = anvil.transferAsOwner(beneficiary, AnvilNode.HOT_WALLET, BigInteger.valueOf(4_000_000));
        JsonNode rightReceipt = confirm(right);
        JsonNode settled = awaitRefund(partner, partial, "SUCCEEDED");
        assertThat(settled.get("rail_status").asText()).isEqualTo("returned");
        assertThat(settled.get("rail_reference").asText()).as("the return's tx hash and log index")
                .isEqualTo(right + ":" + Numeric.toBigInt(rightReceipt.at("/logs/0/logIndex").asText()));
        assertThat(available(partner) - available).isEqualTo(4_000_000);
        assertThat(rail - balance(railAccount())).isEqualTo(4_000_000);
        assertThat(entries(partial)).isEqualTo(1);
        LedgerInvariants.assertHold(jdbc);

        // the rest: the earlier return of 3.99 does not settle a refund of 6.00 either
        anvil.mint(beneficiary, BigInteger.valueOf(3_990_000)); // the beneficiary has 6.01 - 3.99 left of the payout
        Reply rest = refund(partner, transfer, UUID.randomUUID().toString(), Map.of());
        assertThat(rest.status()).as(rest.toString()).isEqualTo(201);
        assertThat(rest.json().get("amount").asText()).isEqualTo("6.000000");
        String full = rest.json().get("id").asText();
        awaitRailStatus(partner, full, "awaiting_return");
        String back = anvil.transferAsOwner(beneficiary, AnvilNode.HOT_WALLET, BigInteger.valueOf(6_000_000));
        confirm(back);
        JsonNode fullSettled = awaitRefund(partner, full, "SUCCEEDED");
        assertThat(fullSettled.get("rail_reference").asText()).startsWith(back + ":");
        assertThat(available(partner) - available).isEqualTo(10_000_000);
        assertThat(rail - balance(railAccount())).isEqualTo(10_000_000);
        assertThat(anvil.balanceOf(AnvilNode.HOT_WALLET)).as("every return arrived, the wrong one too")
                .isEqualTo(wallet.add(BigInteger.valueOf(3_990_000 + 4_000_000 + 6_000_000)));
        assertThat(jdbc.sql("select count(*) from evm_return_claims where tx_hash = ?").param(wrong).query(Long.class)
                .single()).as("the wrong amount claimed by none").isZero();

        JsonNode list = call("GET", "/v1/transfers/" + transfer + "/refunds").as(partner).send().json();
        assertThat(list.get("refunded_amount").asText()).isEqualTo("10.000000");
        assertThat(list.get("refundable_amount").asText()).isEqualTo("0.000000");
        Reply over = refund(partner, transfer, UUID.randomUUID().toString(), Map.of("amount", "0.01"));
        assertThat(over.status()).as(over.toString()).isEqualTo(422);
        assertThat(over.contentType()).startsWith("application/problem+json");
        assertThat(over.json().get("code").asText()).isEqualTo("refund_exceeds_refundable");

        // the same Idempotency-Key: the original answer again, and no money moves
        Reply replay = refund(partner, transfer, key, Map.of("amount", "4.00"));
        assertThat(replay.status()).isEqualTo(201);
        assertThat(replay.header("Idempotent-Replayed")).isEqualTo("true");
        assertThat(replay.body()).isEqualTo(asked.body());
        assertThat(jdbc.sql("select count(*) from refunds where transfer_id = ?::uuid").param(transfer)
                .query(Long.class).single()).isEqualTo(2);
        assertThat(available(partner) - available).isEqualTo(10_000_000);
        LedgerInvariants.assertHold(jdbc);
    }

    @Test
    void equalRefundsAwaitedFromOneAddressTakeOneReturnEachOldestFirst() {
        Paid paid = pay("5.00");
        TestPartner partner = paid.partner();
        long available = available(partner);
        String older = ask(paid, "2.00");
        String newer = ask(paid, "2.00");
        awaitRailStatus(partner, newer, "awaiting_return");

        String first = anvil.transferAsOwner(paid.beneficiary(), AnvilNode.HOT_WALLET, BigInteger.valueOf(2_000_000));
        confirm(first);
        look(newer); // asked first, the newer refund leaves the return to the older one
        assertThat(awaitRefund(partner, older, "SUCCEEDED").get("rail_reference").asText()).startsWith(first + ":");
        assertThat(refundView(partner, newer).get("status").asText()).isEqualTo("SUBMITTED");
        assertThat(available(partner) - available).as("one return, one refund").isEqualTo(2_000_000);

        String second = anvil.transferAsOwner(paid.beneficiary(), AnvilNode.HOT_WALLET, BigInteger.valueOf(2_000_000));
        confirm(second);
        assertThat(awaitRefund(partner, newer, "SUCCEEDED").get("rail_reference").asText()).startsWith(second + ":");
        assertThat(available(partner) - available).isEqualTo(4_000_000);
        LedgerInvariants.assertHold(jdbc);
    }

    @Test
    void aRefundWhoseReturnNeverComesFailsAfterTheWaitAndIsRefundableAgain() {
        Paid paid = pay("5.00");
        long rail = balance(railAccount());
        TestPartner partner = paid.partner();
        String transfer = paid.transfer();
        long available = available(partner);
        String id = ask(paid, "5.00");
        assertThat(call("GET", "/v1/transfers/" + transfer + "/refunds").as(partner).send().json()
                .get("refundable_amount").asText()).as("reserved while awaited").isEqualTo("0.000000");

        // the recheck sweep alone ends it: no look is asked for here
        JsonNode failed = awaitRefund(partner, id, "FAILED", Duration.ofSeconds(120));
        assertThat(failed.at("/failure/code").asText()).isEqualTo("return_not_received");
        assertThat(failed.at("/failure/reason").asText()).contains(paid.beneficiary().toLowerCase())
                .contains(AnvilNode.HOT_WALLET).contains(REFUND_WAIT);
        assertThat(Duration.between(Instant.parse(failed.get("created_at").asText()),
                Instant.parse(failed.get("completed_at").asText()))).isGreaterThan(Duration.parse(REFUND_WAIT));
        assertThat(call("GET", "/v1/transfers/" + transfer + "/refunds").as(partner).send().json()
                .get("refundable_amount").asText()).as("the reservation given back").isEqualTo("5.000000");
        assertThat(available(partner)).isEqualTo(available);
        assertThat(balance(railAccount())).isEqualTo(rail);
        assertThat(jdbc.sql("select count(*) from journal_entries where reference = ?").param(id).query(Long.class)
                .single()).isZero();
        assertThat(refund(partner, transfer, UUID.randomUUID().toString(), Map.of("amount", "5.00")).status())
                .isEqualTo(201);
        LedgerInvariants.assertHold(jdbc);
    }

    // --- helpers ---

    /** A transfer of a new partner (100 USDC), SETTLED on chain to a new beneficiary address. */
    record Paid(TestPartner partner, String beneficiary, String transfer) {
    }

    private Paid pay(String amount) {
        TestPartner partner = newPartner("100 USDC");
        String beneficiary = AnvilNode.freshAddress();
        String id = createTransfer(partner, TransferFixtures.body(amount, "USDC", Map.of("currency", "USDC",
                "network", "base", "address", beneficiary)));
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> "SETTLED".equals(
                call("GET", "/v1/transfers/" + id).as(partner).send().json().get("status").asText()));
        return new Paid(partner, beneficiary, id);
    }

    /** A refund of {@code amount} asked (201); its id. */
    private String ask(Paid paid, String amount) {
        Reply asked = refund(paid.partner(), paid.transfer(), UUID.randomUUID().toString(), Map.of("amount", amount));
        assertThat(asked.status()).as(asked.toString()).isEqualTo(201);
        return asked.json().get("id").asText();
    }

    private Reply refund(TestPartner partner, String transfer, String key, Map<String, Object> body) {
        return call("POST", "/v1/transfers/" + transfer + "/refunds").as(partner).header("Idempotency-Key", key)
                .json(body).send();
    }

    private JsonNode refundView(TestPartner partner, String id) {
        return call("GET", "/v1/refunds/" + id).as(partner).send().json();
    }

    private JsonNode awaitRefund(TestPartner partner, String id, String status) {
        return awaitRefund(partner, id, status, Duration.ofSeconds(60));
    }

    private JsonNode awaitRefund(TestPartner partner, String id, String status, Duration atMost) {
        JsonNode[] last = new JsonNode[1];
        await().atMost(atMost).pollInterval(Duration.ofMillis(200)).until(() -> {
            last[0] = refundView(partner, id);
            assertThat(last[0].get("status").asText()).as(last[0].toString())
                    .isIn(List.of("PENDING", "SUBMITTED", status));
            return last[0].get("status").asText().equals(status);
        });
        return last[0];
    }

    private JsonNode awaitRailStatus(TestPartner partner, String id, String railStatus) {
        return await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> refundView(partner, id), view -> railStatus.equals(view.path("rail_status").asText()));
    }

    /** The receipt of a return, mined and confirmed (the connector's 2 confirmations). */
    private JsonNode confirm(String hash) {
        JsonNode receipt = anvil.awaitReceipt(hash);
        assertThat(receipt.get("status").asText()).isEqualTo("0x1");
        anvil.mine(2);
        return receipt;
    }

    /** One more look for the refund's return, asked now (as the recheck sweep asks), and its end. */
    private void look(String refundId) {
        NotifyBuilder looked = new NotifyBuilder(camel).fromRoute("refund.base-usdc.submit").whenDone(1).create();
        producer.sendBodyAndHeaders("kafka:railyard.rail.base-usdc.refund.v1",
                "{\"data\":{\"id\":\"" + refundId + "\",\"object\":\"refund\"}}",
                Map.of(RailGate.RECHECK_HEADER, "true", "kafka.KEY", refundId));
        assertThat(looked.matches(30, TimeUnit.SECONDS)).isTrue();
    }

    private long balance(AccountKey account) {
        return ledger.balance(account);
    }

    private long available(TestPartner partner) {
        return ledger.balance(partner.account(CurrencyCode.USDC, AccountKind.AVAILABLE));
    }

    private static AccountKey railAccount() {
        return AccountKey.rail("base-usdc", CurrencyCode.USDC, AccountKind.SETTLEMENT);
    }

    private long entries(String refundId) {
        return jdbc.sql("select count(*) from journal_entries where kind = 'transfer.refund' and reference = ?")
                .param(refundId).query(Long.class).single();
    }
}
