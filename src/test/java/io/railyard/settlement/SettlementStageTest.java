package io.railyard.settlement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.railyard.HubTest;
import io.railyard.ledger.AccountKey;
import io.railyard.ledger.AccountKind;
import io.railyard.ledger.CurrencyCode;
import io.railyard.ledger.LedgerInvariants;
import io.railyard.transfer.IllegalTransitionException;
import io.railyard.transfer.Transfer;
import io.railyard.transfer.TransferFixtures;
import io.railyard.transfer.TransferRequest;
import io.railyard.transfer.TransferStatus;
import io.railyard.transfer.TransferValidator;
import io.railyard.transfer.Transfers;
import java.util.Map;
import java.util.UUID;
import org.apache.camel.CamelContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * The settlement stage fed results directly (the routing stage is paused, so no connector takes the transfers):
 * each outcome's ledger effect, applied once.
 */
class SettlementStageTest extends HubTest {

    @Autowired
    SettlementStage stage;
    @Autowired
    Transfers transfers;
    @Autowired
    TransferValidator validator;
    @Autowired
    CamelContext camel;

    @BeforeEach
    void pauseRouting() throws Exception {
        camel.getRouteController().stopRoute("routing.transfer.decide");
        camel.getRouteController().stopRoute("routing.transfer.sweep");
    }

    @AfterEach
    void resumeRouting() throws Exception {
        camel.getRouteController().startRoute("routing.transfer.decide");
        camel.getRouteController().startRoute("routing.transfer.sweep");
    }

    @Test
    void settledMovesTheHoldToTheRailOnceEvenWhenConfirmedTwice() throws Exception {
        TestPartner partner = newPartner("100 BRL");
        Transfer transfer = submitted(partner, TransferFixtures.pix("40.00"), "pix");

        stage.apply(result(transfer, "SETTLED", "CONCLUIDA"));
        stage.apply(result(transfer, "SETTLED", "CONCLUIDA"));

        assertThat(transfers.require(transfer.id()).status()).isEqualTo(TransferStatus.SETTLED);
        assertThat(transfers.require(transfer.id()).railReference()).isEqualTo("E99999999202611251200abcdefghijk");
        assertThat(ledger.balance(partner.account(CurrencyCode.BRL, AccountKind.IN_FLIGHT))).isZero();
        assertThat(ledger.balance(partner.account(CurrencyCode.BRL, AccountKind.AVAILABLE))).isEqualTo(6000);
        assertThat(entries(transfer, "transfer.settle")).isEqualTo(1);
        LedgerInvariants.assertHold(jdbc);
    }

    @Test
    void failedGivesTheHoldBack() throws Exception {
        TestPartner partner = newPartner("100 MXN");
        Transfer transfer = submitted(partner, TransferFixtures.spei("25.00"), "spei");

        stage.apply(result(transfer, "FAILED", "Cancelada"));

        Transfer failed = transfers.require(transfer.id());
        assertThat(failed.status()).isEqualTo(TransferStatus.FAILED);
        assertThat(failed.failureCode()).isEqualTo("rail_failed");
        assertThat(ledger.balance(partner.account(CurrencyCode.MXN, AccountKind.AVAILABLE))).isEqualTo(10000);
        assertThat(ledger.balance(partner.account(CurrencyCode.MXN, AccountKind.IN_FLIGHT))).isZero();
    }

    @Test
    void aLateReturnAfterSettlementReversesItExactlyOnce() throws Exception {
        TestPartner partner = newPartner("100 MXN");
        Transfer transfer = submitted(partner, TransferFixtures.spei("30.00"), "spei");
        stage.apply(result(transfer, "SETTLED", "Liquidada"));
        long railAfterSettle = ledger.balance(AccountKey.rail("spei", CurrencyCode.MXN, AccountKind.SETTLEMENT));

        stage.apply(result(transfer, "RETURNED", "Devuelta"));
        stage.apply(result(transfer, "RETURNED", "Devuelta"));

        assertThat(transfers.require(transfer.id()).status()).isEqualTo(TransferStatus.RETURNED);
        assertThat(ledger.balance(partner.account(CurrencyCode.MXN, AccountKind.AVAILABLE))).isEqualTo(10000);
        assertThat(ledger.balance(AccountKey.rail("spei", CurrencyCode.MXN, AccountKind.SETTLEMENT)))
                .isEqualTo(railAfterSettle - 3000);
        assertThat(entries(transfer, "transfer.return")).isEqualTo(1);
        LedgerInvariants.assertHold(jdbc);
    }

    @Test
    void aConversionSettlesThroughFxClearingBalancedInEachCurrency() throws Exception {
        TestPartner partner = newPartner("100 USD");
        Map<String, Object> body = TransferFixtures.pix("10.00");
        body.put("currency", "USD");
        Transfer transfer = submitted(partner, body, "pix");
        long fxUsd = ledger.balance(AccountKey.house(CurrencyCode.USD, AccountKind.FX_CLEARING));
        long fxBrl = ledger.balance(AccountKey.house(CurrencyCode.BRL, AccountKind.FX_CLEARING));

        stage.apply(result(transfer, "SETTLED", "CONCLUIDA"));

        assertThat(ledger.balance(partner.account(CurrencyCode.USD, AccountKind.IN_FLIGHT))).isZero();
        assertThat(ledger.balance(AccountKey.house(CurrencyCode.USD, AccountKind.FX_CLEARING)) - fxUsd)
                .isEqualTo(1000);
        assertThat(ledger.balance(AccountKey.house(CurrencyCode.BRL, AccountKind.FX_CLEARING)) - fxBrl)
                .isEqualTo(-transfer.destinationAmountMinor());
        LedgerInvariants.assertHold(jdbc);
    }

    @Test
    void anUnmappedStatusMovesNothingAndFlagsTheTransfer() throws Exception {
        TestPartner partner = newPartner("100 BRL");
        Transfer transfer = submitted(partner, TransferFixtures.pix("5.00"), "pix");

        stage.apply(result(transfer, "UNKNOWN", "EM_ANALISE"));

        assertThat(transfers.require(transfer.id()).status()).isEqualTo(TransferStatus.SUBMITTED);
        assertThat(jdbc.sql("select needs_review from transfers where id = ?").param(transfer.id())
                .query(Boolean.class).single()).isTrue();
        assertThat(ledger.balance(partner.account(CurrencyCode.BRL, AccountKind.IN_FLIGHT))).isEqualTo(500);
    }

    @Test
    void aSettledResultForAFailedTransferIsNotAppliedButFlagged() throws Exception {
        TestPartner partner = newPartner("100 BRL");
        Transfer transfer = submitted(partner, TransferFixtures.pix("5.00"), "pix");
        stage.apply(result(transfer, "FAILED", "NAO_REALIZADO"));

        stage.apply(result(transfer, "SETTLED", "CONCLUIDA"));

        assertThat(transfers.require(transfer.id()).status()).isEqualTo(TransferStatus.FAILED);
        assertThat(entries(transfer, "transfer.settle")).isZero();
        assertThat(jdbc.sql("select needs_review from transfers where id = ?").param(transfer.id())
                .query(Boolean.class).single()).isTrue();
    }

    @Test
    void aMoveTheStateMachineRefusesWritesNothing() throws Exception {
        TestPartner partner = newPartner("100 BRL");
        Transfer transfer = submitted(partner, TransferFixtures.pix("10.00"), "pix");
        stage.apply(result(transfer, "SETTLED", "CONCLUIDA"));
        long history = transfers.transitions(transfer.id()).size();
        long events = events(transfer);

        assertThatThrownBy(() -> transfers.transition(transfer.id(), TransferStatus.FAILED, "test",
                Transfers.Changes.failure("late", "a failure after settlement"), null))
                .isInstanceOfSatisfying(IllegalTransitionException.class, e -> {
                    assertThat(e.from()).isEqualTo(TransferStatus.SETTLED);
                    assertThat(e.getMessage()).contains("from SETTLED to FAILED");
                });
        Transfer after = transfers.require(transfer.id());
        assertThat(after.status()).isEqualTo(TransferStatus.SETTLED);
        assertThat(after.failureCode()).isNull();
        assertThat(transfers.transitions(transfer.id())).hasSize((int) history);
        assertThat(events(transfer)).isEqualTo(events);
        assertThatThrownBy(() -> transfers.transition(UUID.randomUUID(), TransferStatus.ROUTED, "test",
                Transfers.Changes.NONE, null)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no transfer");
    }

    private Transfer submitted(TestPartner partner, Map<String, Object> body, String rail) {
        TransferRequest request = JSON.copy()
                .setPropertyNamingStrategy(com.fasterxml.jackson.databind.PropertyNamingStrategies.SNAKE_CASE)
                .convertValue(body, TransferRequest.class);
        Transfer accepted = transfers.accept(partner.id(), validator.validate(request));
        transfers.transition(accepted.id(), TransferStatus.ROUTED, "test", new Transfers.Changes(rail, null, "test",
                null, null, null, null), "railyard.test.unconsumed.v1");
        return transfers.transition(accepted.id(), TransferStatus.SUBMITTED, "test", Transfers.Changes.NONE, null);
    }

    private static String result(Transfer transfer, String outcome, String railStatus) {
        return "{\"result_id\":\"" + transfer.rail() + ":" + transfer.id() + ":" + outcome + "\",\"transfer_id\":\""
                + transfer.id() + "\",\"rail\":\"" + transfer.rail() + "\",\"outcome\":\"" + outcome
                + "\",\"rail_status\":\"" + railStatus + "\",\"rail_reference\":\"E99999999202611251200abcdefghijk\"}";
    }

    /** The events written for the transfer (the outbox keys them by its id). */
    private long events(Transfer transfer) {
        return jdbc.sql("select count(*) from outbox_events where event_key = ?").param(transfer.id().toString())
                .query(Long.class).single();
    }

    /** The transfer's journal entries of a kind: referenced by the transfer, or by one of its refunds or returns. */
    private long entries(Transfer transfer, String kind) {
        return jdbc.sql("""
                select count(*) from journal_entries where kind = ? and (reference = ?
                    or reference in (select id::text from refunds where transfer_id = ?))""")
                .params(kind, transfer.id().toString(), transfer.id()).query(Long.class).single();
    }
}
