package io.railyard.settlement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.railyard.HubTest;
import io.railyard.RoutingPaused;
import io.railyard.connector.RailGate;
import io.railyard.ledger.AccountKey;
import io.railyard.ledger.AccountKind;
import io.railyard.ledger.CurrencyCode;
import io.railyard.ledger.LedgerInvariants;
import io.railyard.transfer.IllegalTransitionException;
import io.railyard.transfer.Transfer;
import io.railyard.transfer.TransferFixtures;
import io.railyard.transfer.TransferStatus;
import io.railyard.transfer.TransferValidator;
import io.railyard.transfer.Transfers;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.camel.CamelContext;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;

/**
 * The settlement stage fed results directly (the routing stage is paused, so no connector takes the transfers):
 * each outcome's ledger effect, applied once.
 */
@ExtendWith(RoutingPaused.class)
class SettlementStageTest extends HubTest {

    @Autowired
    SettlementStage stage;
    @Autowired
    Transfers transfers;
    @Autowired
    TransferValidator validator;
    @Autowired
    CamelContext camel;
    @Autowired
    ProducerTemplate producer;
    @Value("${camel.component.kafka.brokers}")
    String brokers;

    @Test
    void settledMovesTheHoldToTheRailOnceEvenWhenConfirmedTwice() throws Exception {
        TestPartner partner = newPartner("100 BRL");
        Transfer transfer = submitted(partner, TransferFixtures.pix("40.00"), "pix");

        apply(result(transfer, "SETTLED", "CONCLUIDA"));
        apply(result(transfer, "SETTLED", "CONCLUIDA"));

        assertThat(transfers.require(transfer.id()).status()).isEqualTo(TransferStatus.SETTLED);
        assertThat(transfers.require(transfer.id()).railReference()).isEqualTo("E99999999202611251200abcdefghijk");
        assertThat(railStatus(transfer)).isEqualTo("CONCLUIDA");
        assertThat(jdbc.sql("select settled_at is not null from transfers where id = ?").param(transfer.id())
                .query(Boolean.class).single()).isTrue();
        assertThat(ledger.balance(partner.account(CurrencyCode.BRL, AccountKind.IN_FLIGHT))).isZero();
        assertThat(ledger.balance(partner.account(CurrencyCode.BRL, AccountKind.AVAILABLE))).isEqualTo(6000);
        assertThat(entries(transfer, "transfer.settle")).isEqualTo(1);
        LedgerInvariants.assertHold(jdbc);
    }

    @Test
    void failedGivesTheHoldBack() throws Exception {
        TestPartner partner = newPartner("100 MXN");
        Transfer transfer = submitted(partner, TransferFixtures.spei("25.00"), "spei");

        apply(result(transfer, "FAILED", "Cancelada"));

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
        apply(result(transfer, "SETTLED", "Liquidada"));
        long railAfterSettle = ledger.balance(AccountKey.rail("spei", CurrencyCode.MXN, AccountKind.SETTLEMENT));

        apply(result(transfer, "RETURNED", "Devuelta"));
        apply(result(transfer, "RETURNED", "Devuelta"));

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

        apply(result(transfer, "SETTLED", "CONCLUIDA"));

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

        apply(result(transfer, "UNKNOWN", "EM_ANALISE"));

        assertThat(transfers.require(transfer.id()).status()).isEqualTo(TransferStatus.SUBMITTED);
        assertThat(jdbc.sql("select needs_review from transfers where id = ?").param(transfer.id())
                .query(Boolean.class).single()).isTrue();
        assertThat(ledger.balance(partner.account(CurrencyCode.BRL, AccountKind.IN_FLIGHT))).isEqualTo(500);
    }

    @Test
    void aSettledResultForAFailedTransferIsNotAppliedButFlagged() throws Exception {
        TestPartner partner = newPartner("100 BRL");
        Transfer transfer = submitted(partner, TransferFixtures.pix("5.00"), "pix");
        apply(result(transfer, "FAILED", "NAO_REALIZADO"));

        apply(result(transfer, "SETTLED", "CONCLUIDA"));

        assertThat(transfers.require(transfer.id()).status()).isEqualTo(TransferStatus.FAILED);
        assertThat(entries(transfer, "transfer.settle")).isZero();
        assertThat(railStatus(transfer)).as("what the rail said is noted all the same").isEqualTo("CONCLUIDA");
        assertThat(jdbc.sql("select needs_review from transfers where id = ?").param(transfer.id())
                .query(Boolean.class).single()).isTrue();
    }

    @Test
    void aMoveTheStateMachineRefusesWritesNothing() throws Exception {
        TestPartner partner = newPartner("100 BRL");
        Transfer transfer = submitted(partner, TransferFixtures.pix("10.00"), "pix");
        apply(result(transfer, "SETTLED", "CONCLUIDA"));
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

    @Test
    void aPollsResultsAreAppliedOnceEachAndOneThatCannotBeHoldsBackNoOther() throws Exception {
        TestPartner partner = newPartner("100 BRL");
        Transfer settled = submitted(partner, TransferFixtures.pix("10.00"), "pix");
        Transfer failed = submitted(partner, TransferFixtures.pix("20.00"), "pix");
        Transfer pendingFirst = submitted(partner, TransferFixtures.pix("30.00"), "pix");
        Transfer returned = submitted(partner, TransferFixtures.pix("5.00"), "pix");

        // the same run holds a result applied twice, one that cannot be applied (its transfer id is no id), and one
        // that posts as it goes (a return: applied alone, between runs)
        stage.applyPolled(records(camel, result(settled, "SETTLED", "CONCLUIDA"), result(settled, "SETTLED", "CONCLUIDA"),
                "not json", result(failed, "FAILED", "NAO_REALIZADA"),
                "{\"result_id\":\"pix:x:SETTLED\",\"transfer_id\":\"not-a-uuid\",\"outcome\":\"SETTLED\"}",
                result(pendingFirst, "PENDING", "EM_PROCESSAMENTO"), result(returned, "RETURNED", "DEVOLVIDA"),
                result(pendingFirst, "SETTLED", "CONCLUIDA")));

        assertThat(transfers.require(settled.id()).status()).isEqualTo(TransferStatus.SETTLED);
        assertThat(transfers.require(failed.id()).status()).isEqualTo(TransferStatus.FAILED);
        assertThat(transfers.require(pendingFirst.id()).status()).isEqualTo(TransferStatus.SETTLED);
        assertThat(transfers.require(returned.id()).status()).isEqualTo(TransferStatus.RETURNED);
        assertThat(ledger.balance(partner.account(CurrencyCode.BRL, AccountKind.AVAILABLE))).isEqualTo(6000);
        assertThat(ledger.balance(partner.account(CurrencyCode.BRL, AccountKind.IN_FLIGHT))).isZero();
        assertThat(entries(settled, "transfer.settle")).isEqualTo(1);
        assertThat(entries(pendingFirst, "transfer.settle")).isEqualTo(1);
        LedgerInvariants.assertHold(jdbc);
    }

    @Test
    void aRunIsAppliedInOneTransactionEachResultSeeingWhatTheOnesBeforeItDid() throws Exception {
        TestPartner partner = newPartner("100 BRL");
        Transfer failedThenSettled = submitted(partner, TransferFixtures.pix("10.00"), "pix");
        Transfer settled = submitted(partner, TransferFixtures.pix("20.00"), "pix");

        stage.applyPolled(records(camel, result(failedThenSettled, "FAILED", "NAO_REALIZADO"),
                result(failedThenSettled, "SETTLED", "CONCLUIDA"), result(settled, "SETTLED", "CONCLUIDA")));

        assertThat(transfers.require(failedThenSettled.id()).status()).isEqualTo(TransferStatus.FAILED);
        assertThat(jdbc.sql("select needs_review from transfers where id = ?").param(failedThenSettled.id())
                .query(Boolean.class).single()).as("a SETTLED result for a failed transfer is flagged").isTrue();
        assertThat(transfers.require(settled.id()).status()).isEqualTo(TransferStatus.SETTLED);
        assertThat(jdbc.sql("select count(distinct xmin::text) from transfer_transitions where transfer_id in (?, ?) "
                + "and to_status in ('FAILED', 'SETTLED')").params(failedThenSettled.id(), settled.id())
                .query(Long.class).single()).as("one transaction for the run").isEqualTo(1);
        assertThat(ledger.balance(partner.account(CurrencyCode.BRL, AccountKind.AVAILABLE))).isEqualTo(8000);
        LedgerInvariants.assertHold(jdbc);
    }

    @Test
    void theStageCommitsTheOffsetsOfTheResultsItApplied() throws Exception {
        TestPartner partner = newPartner("100 BRL");
        Transfer transfer = submitted(partner, TransferFixtures.pix("10.00"), "pix");

        producer.sendBodyAndHeader("kafka:" + RailGate.RESULTS_TOPIC, result(transfer, "SETTLED", "CONCLUIDA"),
                KafkaConstants.KEY, transfer.id().toString());

        await().atMost(Duration.ofSeconds(30)).until(() -> transfers.require(transfer.id()).status()
                == TransferStatus.SETTLED);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, brokers))) {
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(
                        "railyard-settlement").partitionsToOffsetAndMetadata().get();
                Map<TopicPartition, OffsetSpec> partitions = new HashMap<>();
                admin.describeTopics(List.of(RailGate.RESULTS_TOPIC)).allTopicNames().get().get(RailGate.RESULTS_TOPIC)
                        .partitions().forEach(p -> partitions.put(new TopicPartition(RailGate.RESULTS_TOPIC,
                                p.partition()), OffsetSpec.latest()));
                admin.listOffsets(partitions).all().get().forEach((partition, end) -> assertThat(
                        committed.containsKey(partition) ? committed.get(partition).offset() : 0L)
                        .as("committed offset of %s", partition).isEqualTo(end.offset()));
            });
        }
    }

    /** Through the stage's entry point, a poll of one. */
    private void apply(String result) {
        stage.applyPolled(records(camel, result));
    }

    private Transfer submitted(TestPartner partner, Map<String, Object> body, String rail) {
        return TransferFixtures.submitted(transfers, validator, partner.id(), body, rail);
    }


    private static String result(Transfer transfer, String outcome, String railStatus) {
        return "{\"result_id\":\"" + transfer.rail() + ":" + transfer.id() + ":" + outcome + "\",\"transfer_id\":\""
                + transfer.id() + "\",\"rail\":\"" + transfer.rail() + "\",\"outcome\":\"" + outcome
                + "\",\"rail_status\":\"" + railStatus + "\",\"rail_reference\":\"E99999999202611251200abcdefghijk\"}";
    }

    private String railStatus(Transfer transfer) {
        return jdbc.sql("select rail_status from transfers where id = ?").param(transfer.id()).query(String.class)
                .single();
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
