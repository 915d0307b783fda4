package io.railyard.refund;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.railyard.HubTest;
import io.railyard.connector.RailGate;
import io.railyard.connector.RailOutcome;
import io.railyard.ledger.AccountKey;
import io.railyard.ledger.AccountKind;
import io.railyard.ledger.CurrencyCode;
import io.railyard.ledger.LedgerInvariants;
import io.railyard.transfer.TransferFixtures;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.camel.ProducerTemplate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * Refunds and returns end to end, per rail (Pix devolução, SPEI reverse order, Circle payout return): through the
 * partner API, the outbox, the rail's connector and sandbox, the settlement stage and the ledger. Returns the rail
 * makes in part (Pix, Circle) are reconciled too.
 */
class RefundTest extends HubTest {

    private static final String[] SANDBOXES = {"pix", "spei", "circle", "base"};

    @Autowired
    ProducerTemplate producer;

    @AfterEach
    void resetFaults() {
        for (String sandbox : SANDBOXES) {
            call("DELETE", "/v1/ops/sandbox/" + sandbox + "/faults").asOps().send();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"pix", "spei", "circle-usdc"})
    void aPartialThenAFullRefundGiveEverythingBackOnce(String rail) {
        Settled t = settle(rail, "100.00");
        long railBefore = ledger.balance(t.railAccount());
        long availableBefore = ledger.balance(t.available());

        Reply partial = refund(t, UUID.randomUUID().toString(), Map.of("amount", "30.00", "reason", "damaged"));
        assertThat(partial.status()).as(partial.toString()).isEqualTo(201);
        assertThat(partial.json().get("status").asText()).isEqualTo("PENDING");
        assertThat(partial.json().get("amount").asText()).isEqualTo(t.currency().fromMinor(t.minor("30.00"))
                .toPlainString());
        JsonNode first = awaitRefund(t, partial.json().get("id").asText(), "SUCCEEDED");
        assertThat(ledger.balance(t.available()) - availableBefore).isEqualTo(t.minor("30.00"));
        assertThat(railBefore - ledger.balance(t.railAccount())).isEqualTo(t.minor("30.00"));

        Reply rest = refund(t, UUID.randomUUID().toString(), Map.of());
        assertThat(rest.status()).as(rest.toString()).isEqualTo(201);
        assertThat(t.minor(rest.json().get("amount").asText())).isEqualTo(t.minor("70.00"));
        JsonNode second = awaitRefund(t, rest.json().get("id").asText(), "SUCCEEDED");

        assertThat(ledger.balance(t.available()) - availableBefore).isEqualTo(t.minor("100.00"));
        assertThat(railBefore - ledger.balance(t.railAccount())).isEqualTo(t.minor("100.00"));
        JsonNode list = call("GET", "/v1/transfers/" + t.id() + "/refunds").as(t.partner()).send().json();
        assertThat(t.minor(list.get("refunded_amount").asText())).isEqualTo(t.minor("100.00"));
        assertThat(t.minor(list.get("refundable_amount").asText())).isZero();
        assertThat(list.get("data").findValuesAsText("id")).containsExactly(first.get("id").asText(),
                second.get("id").asText());
        for (JsonNode refund : List.of(first, second)) {
            String id = refund.get("id").asText();
            assertThat(refund.get("rail_reference").asText()).as("the rail's reference, for statements")
                    .matches(switch (rail) {
                        case "pix" -> "D[0-9]{8}[0-9]{12}[A-Za-z0-9]{11}";
                        case "spei" -> "RD[0-9A-F]{28}";
                        default -> "[0-9a-f-]{36}";
                    });
            assertThat(entries("transfer.refund", id)).isEqualTo(1);
            assertThat(events("refund.succeeded", id)).isEqualTo(1);
        }
        // nothing left: one more cent is refused and nothing is written
        Reply over = refund(t, UUID.randomUUID().toString(), Map.of("amount", "0.01"));
        assertThat(over.status()).as(over.toString()).isEqualTo(422);
        assertThat(over.json().get("code").asText()).isEqualTo("refund_exceeds_refundable");
        assertThat(refundRows(t)).isEqualTo(2);
        assertThat(call("GET", "/v1/transfers/" + t.id()).as(t.partner()).send().json().get("status").asText())
                .isEqualTo("SETTLED");
        executionsOnce(rail);
        LedgerInvariants.assertHold(jdbc);
    }

    @ParameterizedTest
    @ValueSource(strings = {"pix", "spei", "circle-usdc"})
    void twentyConcurrentRefundsNeverTakeMoreThanTheTransferPaid(String rail) throws Exception {
        Settled t = settle(rail, "100.00");
        long availableBefore = ledger.balance(t.available());
        Reply tooMuch = refund(t, UUID.randomUUID().toString(), Map.of("amount", "100.01"));
        assertThat(tooMuch.status()).as(tooMuch.toString()).isEqualTo(422);
        assertThat(tooMuch.json().get("code").asText()).isEqualTo("refund_exceeds_refundable");
        assertThat(tooMuch.json().get("field").asText()).isEqualTo("amount");
        assertThat(refundRows(t)).isZero();

        ExecutorService pool = Executors.newFixedThreadPool(20);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Reply>> replies = new ArrayList<>();
        try {
            for (int i = 0; i < 20; i++) {
                replies.add(pool.submit(() -> {
                    start.await();
                    return refund(t, UUID.randomUUID().toString(), Map.of("amount", "7.00"));
                }));
            }
            start.countDown();
            Map<Integer, Integer> byStatus = new LinkedHashMap<>();
            List<String> accepted = new ArrayList<>();
            for (Future<Reply> reply : replies) {
                Reply r = reply.get();
                byStatus.merge(r.status(), 1, Integer::sum);
                if (r.status() == 201) {
                    accepted.add(r.json().get("id").asText());
                } else {
                    assertThat(r.json().get("code").asText()).as(r.toString()).isEqualTo("refund_exceeds_refundable");
                }
            }
            // 14 × 7.00 = 98.00 fits in 100.00; the 15th would not
            assertThat(byStatus).isEqualTo(Map.of(201, 14, 422, 6));
            for (String id : accepted) {
                awaitRefund(t, id, "SUCCEEDED");
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(ledger.balance(t.available()) - availableBefore).isEqualTo(t.minor("98.00"));
        // and the database itself refuses more than the transfer paid, whoever writes
        assertThatThrownBy(() -> jdbc.sql("update transfers set refunded_minor = source_amount_minor + 1 where id = ?")
                .param(t.id()).update()).hasMessageContaining("transfers_refunded_within");
        JsonNode list = call("GET", "/v1/transfers/" + t.id() + "/refunds").as(t.partner()).send().json();
        assertThat(t.minor(list.get("refundable_amount").asText())).isEqualTo(t.minor("2.00"));
        executionsOnce(rail);
        LedgerInvariants.assertHold(jdbc);
    }

    @ParameterizedTest
    @ValueSource(strings = {"pix", "spei", "circle-usdc"})
    void aReplayedRefundAnswersTheOriginalAndMovesNoMoney(String rail) {
        Settled t = settle(rail, "100.00");
        String key = UUID.randomUUID().toString();
        Reply original = refund(t, key, Map.of("amount", "25.00"));
        assertThat(original.status()).as(original.toString()).isEqualTo(201);
        String id = original.json().get("id").asText();
        awaitRefund(t, id, "SUCCEEDED");
        long available = ledger.balance(t.available());

        Reply replay = refund(t, key, Map.of("amount", "25.00"));
        assertThat(replay.status()).isEqualTo(201);
        assertThat(replay.header("Idempotent-Replayed")).isEqualTo("true");
        assertThat(replay.body()).isEqualTo(original.body());
        Reply reused = refund(t, key, Map.of("amount", "26.00"));
        assertThat(reused.status()).isEqualTo(422);
        assertThat(reused.json().get("code").asText()).isEqualTo("idempotency_key_reused");

        assertThat(refundRows(t)).isEqualTo(1);
        assertThat(ledger.balance(t.available())).isEqualTo(available);
        assertThat(entries("transfer.refund", id)).isEqualTo(1);
        executionsOnce(rail);
        LedgerInvariants.assertHold(jdbc);
    }

    @ParameterizedTest
    @ValueSource(strings = {"pix", "spei", "circle-usdc"})
    void aLateReturnAfterSettlementIsReversedExactlyOnce(String rail) {
        call("PUT", "/v1/ops/sandbox/" + sandbox(rail) + "/faults").asOps()
                .json(Map.of("return_rate", 1, "return_after_ms", 2500)).send();
        Settled t = settle(rail, "40.00");
        long availableBefore = ledger.balance(t.available());
        long railBefore = ledger.balance(t.railAccount());

        JsonNode returned = awaitTransfer(t, "RETURNED");
        assertThat(returned.get("history").findValuesAsText("to"))
                .containsExactly("ACCEPTED", "ROUTED", "SUBMITTED", "SETTLED", "RETURNED");
        assertThat(ledger.balance(t.available()) - availableBefore).isEqualTo(t.minor("40.00"));
        assertThat(railBefore - ledger.balance(t.railAccount())).isEqualTo(t.minor("40.00"));
        if (rail.equals("spei")) {
            assertThat(returned.get("failure").get("reason").asText()).isEqualTo("13 Beneficiario no reconoce el pago");
        } else if (rail.equals("circle-usdc")) {
            assertThat(returned.get("failure").get("code").asText()).isEqualTo("transaction_returned");
        }
        JsonNode list = call("GET", "/v1/transfers/" + t.id() + "/refunds").as(t.partner()).send().json();
        assertThat(list.get("data")).hasSize(1);
        JsonNode ret = list.get("data").get(0);
        assertThat(ret.get("kind").asText()).isEqualTo("RETURN");
        assertThat(ret.get("status").asText()).isEqualTo("SUCCEEDED");
        assertThat(ret.get("rail_reference").asText()).isEqualTo(returned.get("rail_reference").asText());
        assertThat(call("GET", "/v1/refunds/" + ret.get("id").asText()).as(t.partner()).send().status())
                .isEqualTo(200);

        // the same confirmation delivered again (a redelivery, a recheck in flight) changes nothing; a PENDING result
        // sent after them on the same key (same partition, applied in order) tells when they have been applied
        String duplicate = result(rail, t.id(), RailOutcome.RETURNED, "DEVOLVIDO", null, null);
        String sentinel = "sentinel-" + UUID.randomUUID();
        producer.sendBodyAndHeader("kafka:railyard.settlement.result.v1", duplicate, "kafka.KEY", t.id().toString());
        producer.sendBodyAndHeader("kafka:railyard.settlement.result.v1", duplicate, "kafka.KEY", t.id().toString());
        producer.sendBodyAndHeader("kafka:railyard.settlement.result.v1",
                result(rail, t.id(), RailOutcome.PENDING, sentinel, null, null), "kafka.KEY", t.id().toString());
        await().atMost(Duration.ofSeconds(20)).until(() -> sentinel.equals(jdbc.sql(
                "select rail_status from transfers where id = ?").param(t.id()).query(String.class).single()));
        assertThat(returnEntries(t)).isEqualTo(1);
        assertThat(jdbc.sql("select count(*) from outbox_events where event_type = 'transfer.returned' "
                + "and event_key = ?").param(t.id().toString()).query(Long.class).single()).isEqualTo(1);
        assertThat(ledger.balance(t.available()) - availableBefore).isEqualTo(t.minor("40.00"));
        // nothing is refundable any more
        Reply refund = refund(t, UUID.randomUUID().toString(), Map.of());
        assertThat(refund.status()).as(refund.toString()).isEqualTo(409);
        assertThat(refund.json().get("code").asText()).isEqualTo("not_refundable");
        LedgerInvariants.assertHold(jdbc);
    }

    /**
     * Pix (a devolução the recebedor's side made on its own, for part of the Pix) and Circle (a payout whose return
     * carries less than its amount): the part goes back once, the transfer stays SETTLED and what is left stays
     * refundable, no more.
     */
    @ParameterizedTest
    @ValueSource(strings = {"pix", "circle-usdc"})
    void aLatePartialReturnGivesBackThatPartOnceAndLeavesTheRestRefundable(String rail) throws Exception {
        Instant from = Instant.now().minusMillis(500);
        call("PUT", "/v1/ops/sandbox/" + sandbox(rail) + "/faults").asOps()
                .json(Map.of("return_rate", 1, "return_share", 0.25, "return_after_ms", 1500)).send();
        // measured before the transfer: the part may come back before the test sees it settled
        long railBefore = ledger.balance(railAccount(rail));
        Settled t = settle(rail, "40.00");
        long availableBefore = t.minor("1000") - t.minor("40.00"); // funded, less the transfer

        await().atMost(Duration.ofSeconds(20)).until(() -> returns(t) == 1);
        JsonNode list = call("GET", "/v1/transfers/" + t.id() + "/refunds").as(t.partner()).send().json();
        JsonNode part = list.get("data").get(0);
        assertThat(part.get("kind").asText()).isEqualTo("RETURN");
        assertThat(part.get("status").asText()).isEqualTo("SUCCEEDED");
        assertThat(t.minor(part.get("amount").asText())).isEqualTo(t.minor("10.00"));
        assertThat(t.minor(list.get("refundable_amount").asText())).isEqualTo(t.minor("30.00"));
        JsonNode transfer = call("GET", "/v1/transfers/" + t.id()).as(t.partner()).send().json();
        assertThat(transfer.get("status").asText()).isEqualTo("SETTLED");
        assertThat(ledger.balance(t.available()) - availableBefore).isEqualTo(t.minor("10.00"));
        assertThat(ledger.balance(t.railAccount()) - railBefore).isEqualTo(t.minor("30.00"));
        assertThat(events("transfer.partially_returned", part.get("id").asText())).isEqualTo(1);

        // the same confirmation again, and the same amount written otherwise (another result id), move nothing
        String status = rail.equals("pix") ? "CONCLUIDA" : "complete";
        String reference = transfer.get("rail_reference").asText();
        String again = result(rail, t.id(), RailOutcome.SETTLED, status, reference, "10.00");
        String otherwise = result(rail, t.id(), RailOutcome.SETTLED, status, reference, "10.0");
        for (String confirmation : List.of(again, again, otherwise)) {
            producer.sendBodyAndHeader("kafka:railyard.settlement.result.v1", confirmation, "kafka.KEY",
                    t.id().toString());
        }
        String last = JSON.readTree(otherwise).get("result_id").asText();
        await().atMost(Duration.ofSeconds(20)).until(() -> jdbc.sql(
                "select count(*) from settlement_results where result_id = ?").param(last).query(Long.class)
                .single() == 1);
        assertThat(returns(t)).isEqualTo(1);
        assertThat(returnEntries(t)).isEqualTo(1);
        assertThat(ledger.balance(t.available()) - availableBefore).isEqualTo(t.minor("10.00"));

        // what the rail kept is all that can still be refunded
        Reply tooMuch = refund(t, UUID.randomUUID().toString(), Map.of("amount", "30.01"));
        assertThat(tooMuch.status()).as(tooMuch.toString()).isEqualTo(422);
        assertThat(tooMuch.json().get("code").asText()).isEqualTo("refund_exceeds_refundable");
        Reply rest = refund(t, UUID.randomUUID().toString(), Map.of());
        assertThat(rest.status()).as(rest.toString()).isEqualTo(201);
        assertThat(t.minor(rest.json().get("amount").asText())).isEqualTo(t.minor("30.00"));
        awaitRefund(t, rest.json().get("id").asText(), "SUCCEEDED");
        assertThat(ledger.balance(t.available()) - availableBefore).isEqualTo(t.minor("40.00"));
        assertThat(ledger.balance(t.railAccount())).isEqualTo(railBefore);
        assertThat(call("GET", "/v1/transfers/" + t.id()).as(t.partner()).send().json().get("status").asText())
                .isEqualTo("SETTLED");
        assertThat(returns(t)).as("the rail keeps reporting its part: still one return").isEqualTo(1);

        JsonNode run = reconcile(rail, from);
        assertThat(run.get("matched_transfers").asInt()).as(run.toString()).isEqualTo(1);
        assertThat(run.get("discrepancies").asInt()).as(run.toString()).isZero();
        // the statement read again finds the same and moves nothing
        JsonNode rerun = reconcile(rail, from);
        assertThat(rerun.get("discrepancies").asInt()).as(rerun.toString()).isZero();
        assertThat(returns(t)).isEqualTo(1);
        assertThat(ledger.balance(t.available()) - availableBefore).isEqualTo(t.minor("40.00"));
        assertThat(ledger.balance(t.railAccount())).isEqualTo(railBefore);
        executionsOnce(rail);
        LedgerInvariants.assertHold(jdbc);
    }

    @ParameterizedTest
    @ValueSource(strings = {"pix", "circle-usdc"})
    void aPartialReturnThenOneOfTheRestMakeTheTransferReturned(String rail) {
        Instant from = Instant.now().minusMillis(500);
        call("PUT", "/v1/ops/sandbox/" + sandbox(rail) + "/faults").asOps().json(Map.of("return_rate", 1,
                "return_share", 0.25, "return_after_ms", 1500, "return_rest_after_ms", 5000)).send();
        long railBefore = ledger.balance(railAccount(rail));
        Settled t = settle(rail, "40.00");

        JsonNode returned = awaitTransfer(t, "RETURNED");
        assertThat(returned.get("history").findValuesAsText("to"))
                .containsExactly("ACCEPTED", "ROUTED", "SUBMITTED", "SETTLED", "RETURNED");
        JsonNode list = call("GET", "/v1/transfers/" + t.id() + "/refunds").as(t.partner()).send().json();
        assertThat(list.get("data").findValuesAsText("kind")).containsExactly("RETURN", "RETURN");
        assertThat(list.get("data").findValuesAsText("amount").stream().map(t::minor).toList())
                .containsExactly(t.minor("10.00"), t.minor("30.00"));
        assertThat(t.minor(list.get("refundable_amount").asText())).isZero();
        assertThat(ledger.balance(t.available())).as("all back: as funded").isEqualTo(t.minor("1000"));
        assertThat(ledger.balance(t.railAccount())).isEqualTo(railBefore);
        assertThat(returnEntries(t)).isEqualTo(2);
        assertThat(jdbc.sql("select event_type from outbox_events where event_key = ? and event_type like "
                + "'transfer.%returned' order by id").param(t.id().toString()).query(String.class).list())
                .containsExactly("transfer.partially_returned", "transfer.returned");
        Reply refund = refund(t, UUID.randomUUID().toString(), Map.of());
        assertThat(refund.status()).as(refund.toString()).isEqualTo(409);
        assertThat(refund.json().get("code").asText()).isEqualTo("not_refundable");

        JsonNode run = reconcile(rail, from);
        assertThat(run.get("matched_transfers").asInt()).as(run.toString()).isEqualTo(1);
        assertThat(run.get("discrepancies").asInt()).as(run.toString()).isZero();
        LedgerInvariants.assertHold(jdbc);
    }

    @Test
    void aLateReturnAfterAPartialRefundReturnsOnlyTheRest() {
        call("PUT", "/v1/ops/sandbox/pix/faults").asOps().json(Map.of("return_rate", 1, "return_after_ms", 4000))
                .send();
        Settled t = settle("pix", "50.00");
        long availableBefore = ledger.balance(t.available());
        Reply partial = refund(t, UUID.randomUUID().toString(), Map.of("amount", "20.00"));
        assertThat(partial.status()).as(partial.toString()).isEqualTo(201);
        awaitRefund(t, partial.json().get("id").asText(), "SUCCEEDED");

        awaitTransfer(t, "RETURNED");
        assertThat(ledger.balance(t.available()) - availableBefore).isEqualTo(5000);
        JsonNode list = call("GET", "/v1/transfers/" + t.id() + "/refunds").as(t.partner()).send().json();
        assertThat(list.get("data").findValuesAsText("kind")).containsExactly("REFUND", "RETURN");
        assertThat(list.get("data").findValuesAsText("amount")).containsExactly("20.00", "30.00");
        assertThat(list.get("refunded_amount").asText()).isEqualTo("50.00");
        LedgerInvariants.assertHold(jdbc);
    }

    @Test
    void anImmediateReturnGivesTheHoldBackWithoutSettling() {
        call("PUT", "/v1/ops/sandbox/spei/faults").asOps().json(Map.of("return_rate", 1, "return_after_ms", 0))
                .send();
        TestPartner partner = newPartner("100 MXN");
        String id = createTransfer(partner, TransferFixtures.spei("10.00"));
        Settled t = new Settled(UUID.fromString(id), partner, "spei", CurrencyCode.MXN);
        JsonNode returned = awaitTransfer(t, "RETURNED");
        assertThat(returned.get("history").findValuesAsText("to")).doesNotContain("SETTLED");
        assertThat(ledger.balance(partner.account(CurrencyCode.MXN, AccountKind.AVAILABLE))).isEqualTo(10000);
        assertThat(ledger.balance(partner.account(CurrencyCode.MXN, AccountKind.IN_FLIGHT))).isZero();
        LedgerInvariants.assertHold(jdbc);
    }

    @Test
    void aRefundTheRailRefusesFailsAndTheAmountIsRefundableAgain() {
        Settled t = settle("pix", "60.00");
        long available = ledger.balance(t.available());
        call("PUT", "/v1/ops/sandbox/pix/faults").asOps().json(Map.of("fail_rate", 1)).send();
        Reply refused = refund(t, UUID.randomUUID().toString(), Map.of("amount", "60.00"));
        assertThat(refused.status()).as(refused.toString()).isEqualTo(201);
        String id = refused.json().get("id").asText();
        JsonNode failed = awaitRefund(t, id, "FAILED");
        assertThat(failed.get("failure").get("reason").asText()).isEqualTo("Devolução recusada pelo PSP do recebedor");
        assertThat(events("refund.failed", id)).isEqualTo(1);
        assertThat(entries("transfer.refund", id)).isZero();
        assertThat(ledger.balance(t.available())).isEqualTo(available);

        call("DELETE", "/v1/ops/sandbox/pix/faults").asOps().send();
        Reply again = refund(t, UUID.randomUUID().toString(), Map.of("amount", "60.00"));
        assertThat(again.status()).as(again.toString()).isEqualTo(201);
        awaitRefund(t, again.json().get("id").asText(), "SUCCEEDED");
        assertThat(ledger.balance(t.available()) - available).isEqualTo(6000);
        LedgerInvariants.assertHold(jdbc);
    }

    @Test
    void refundsAreTenantIsolatedValidatedAndNeedAKey() {
        Settled t = settle("pix", "10.00");
        Reply created = refund(t, UUID.randomUUID().toString(), Map.of("amount", "1.00"));
        String id = created.json().get("id").asText();
        TestPartner other = newPartner("10 BRL");
        assertThat(call("GET", "/v1/refunds/" + id).as(other).send().status()).isEqualTo(404);
        assertThat(call("GET", "/v1/transfers/" + t.id() + "/refunds").as(other).send().status()).isEqualTo(404);
        Reply foreign = call("POST", "/v1/transfers/" + t.id() + "/refunds").as(other)
                .header("Idempotency-Key", UUID.randomUUID().toString()).json(Map.of()).send();
        assertThat(foreign.status()).isEqualTo(404);
        assertThat(call("GET", "/v1/refunds/not-a-uuid").as(t.partner()).send().status()).isEqualTo(404);

        Reply noKey = call("POST", "/v1/transfers/" + t.id() + "/refunds").as(t.partner()).json(Map.of()).send();
        assertThat(noKey.status()).isEqualTo(400);
        assertThat(noKey.json().get("code").asText()).isEqualTo("idempotency_key_missing");
        Map<String, Object> badAmounts = Map.of("0", "validation_failed", "1.001", "validation_failed",
                "-1", "validation_failed");
        badAmounts.forEach((amount, code) -> {
            Reply bad = refund(t, UUID.randomUUID().toString(), Map.of("amount", amount));
            assertThat(bad.status()).as(bad.toString()).isEqualTo(422);
            assertThat(bad.json().get("code").asText()).isEqualTo(code);
            assertThat(bad.json().get("field").asText()).isEqualTo("amount");
        });
        Reply unknown = refund(t, UUID.randomUUID().toString(), Map.of("amount", "1.00", "currency", "BRL"));
        assertThat(unknown.status()).isEqualTo(400);
        assertThat(unknown.json().get("code").asText()).isEqualTo("unknown_field");
        assertThat(refundRows(t)).isEqualTo(1);
        awaitRefund(t, id, "SUCCEEDED");
        assertThat(call("GET", "/v1/api-docs").send().body()).as("documented by the REST DSL")
                .contains("/transfers/{transferId}/refunds", "/refunds/{refundId}");
        LedgerInvariants.assertHold(jdbc);
    }

    @Test
    void onlySettledTransfersAreRefundableAndABaseRefundAwaitsTheBeneficiarysReturn() {
        TestPartner partner = newPartner("100 USDC");
        String id = createTransfer(partner, TransferFixtures.base("5.00"));
        Settled t = new Settled(UUID.fromString(id), partner, "base-usdc", CurrencyCode.USDC);
        Reply early = refund(t, UUID.randomUUID().toString(), Map.of());
        if (early.status() == 409) { // the usual case: not settled yet
            assertThat(early.json().get("code").asText()).isEqualTo("not_refundable");
        }
        awaitTransfer(t, "SETTLED");
        // the hub cannot pull tokens back: the refund waits for the beneficiary's return (BaseRefundAnvilTest)
        Reply awaited = refund(t, UUID.randomUUID().toString(), Map.of());
        assertThat(awaited.status()).as(awaited.toString()).isEqualTo(201);
        String refund = awaited.json().get("id").asText();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> "awaiting_return"
                .equals(call("GET", "/v1/refunds/" + refund).as(partner).send().json().path("rail_status").asText()));
        assertThat(refundRows(t)).isEqualTo(1);
        assertThat(entries("transfer.refund", refund)).isZero();
    }

    // --- helpers ---

    record Settled(UUID id, TestPartner partner, String rail, CurrencyCode currency) {
        AccountKey available() {
            return partner.account(currency, AccountKind.AVAILABLE);
        }

        AccountKey railAccount() {
            return RefundTest.railAccount(rail);
        }

        long minor(String amount) {
            return currency.toMinor(new java.math.BigDecimal(amount));
        }
    }

    private static CurrencyCode currency(String rail) {
        return switch (rail) {
            case "pix" -> CurrencyCode.BRL;
            case "spei" -> CurrencyCode.MXN;
            default -> CurrencyCode.USDC;
        };
    }

    private static AccountKey railAccount(String rail) {
        return AccountKey.rail(rail, currency(rail), AccountKind.SETTLEMENT);
    }

    /** A transfer of {@code amount} on the rail, settled, from a new partner funded with 1000. */
    private Settled settle(String rail, String amount) {
        CurrencyCode currency = currency(rail);
        TestPartner partner = newPartner("1000 " + currency);
        Map<String, Object> body = switch (rail) {
            case "pix" -> TransferFixtures.pix(amount);
            case "spei" -> TransferFixtures.spei(amount);
            default -> TransferFixtures.circle(amount);
        };
        Settled t = new Settled(UUID.fromString(createTransfer(partner, body)), partner, rail, currency);
        JsonNode settled = awaitTransfer(t, "SETTLED");
        assertThat(settled.get("rail").asText()).isEqualTo(rail);
        return t;
    }

    private Reply refund(Settled t, String key, Map<String, Object> body) {
        return call("POST", "/v1/transfers/" + t.id() + "/refunds").as(t.partner()).header("Idempotency-Key", key)
                .json(body).send();
    }

    private JsonNode awaitTransfer(Settled t, String status) {
        JsonNode[] last = new JsonNode[1];
        await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(100)).until(() -> {
            last[0] = call("GET", "/v1/transfers/" + t.id()).as(t.partner()).send().json();
            String now = last[0].get("status").asText();
            assertThat(now).as(last[0].toString()).isIn(List.of("ACCEPTED", "ROUTED", "QUEUED", "SUBMITTED", "SETTLED",
                    status));
            return now.equals(status);
        });
        return last[0];
    }

    private JsonNode awaitRefund(Settled t, String id, String status) {
        JsonNode[] last = new JsonNode[1];
        await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(100)).until(() -> {
            last[0] = call("GET", "/v1/refunds/" + id).as(t.partner()).send().json();
            String now = last[0].get("status").asText();
            assertThat(now).as(last[0].toString()).isIn(List.of("PENDING", "SUBMITTED", status));
            return now.equals(status);
        });
        return last[0];
    }

    /** A settlement result as the rail's connector sends it ({@code returned}: how much came back so far, or null). */
    private static String result(String rail, UUID transferId, RailOutcome outcome, String railStatus,
            String reference, String returned) {
        try {
            return JSON.writeValueAsString(RailGate.resultMessage(rail, transferId.toString(), null, outcome,
                    railStatus, reference, null, null, returned));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs the reconciliation of the rail from {@code from} to now. */
    private JsonNode reconcile(String rail, Instant from) {
        Reply run = call("POST", "/v1/reconciliation/runs").asOps().json(Map.of("rail", rail, "from", from.toString(),
                "to", Instant.now().plusSeconds(1).toString())).send();
        assertThat(run.status()).as(run.toString()).isEqualTo(201);
        return run.json();
    }

    private long returns(Settled t) {
        return jdbc.sql("select count(*) from refunds where transfer_id = ? and kind = 'RETURN'").param(t.id())
                .query(Long.class).single();
    }

    private long entries(String kind, String reference) {
        return jdbc.sql("select count(*) from journal_entries where kind = ? and reference = ?")
                .params(kind, reference).query(Long.class).single();
    }

    /** The journal entries of the transfer's returns (each referenced by its return's id). */
    private long returnEntries(Settled t) {
        return jdbc.sql("""
                select count(*) from journal_entries where kind = 'transfer.return'
                    and reference in (select id::text from refunds where transfer_id = ? and kind = 'RETURN')""")
                .param(t.id()).query(Long.class).single();
    }

    private long events(String type, String refundId) {
        return jdbc.sql("select count(*) from outbox_events where event_type = ? and payload -> 'data' ->> 'id' = ?")
                .params(type, refundId).query(Long.class).single();
    }

    private long refundRows(Settled t) {
        return jdbc.sql("select count(*) from refunds where transfer_id = ?").param(t.id()).query(Long.class).single();
    }

    /** Each rail key (payouts and refunds alike) was executed once, whatever the retries and rechecks. */
    private void executionsOnce(String rail) {
        JsonNode executions = call("GET", "/v1/ops/sandbox/" + sandbox(rail) + "/executions").asOps().send().json();
        executions.get("by_key").forEach(count -> assertThat(count.asInt()).as("executions per key").isEqualTo(1));
    }
}
