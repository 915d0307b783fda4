package io.railyard.settlementbatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.railyard.HubTest;
import io.railyard.RailyardApplication;
import io.railyard.TestPorts;
import io.railyard.connector.ConnectorRegistry;
import io.railyard.ledger.AccountKey;
import io.railyard.ledger.AccountKind;
import io.railyard.ledger.CurrencyCode;
import io.railyard.ledger.LedgerInvariants;
import io.railyard.transfer.TransferFixtures;
import io.railyard.window.SettlementWindows;
import io.railyard.window.TestRailsTable;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.ExchangeBuilder;
import org.apache.camel.processor.aggregate.jdbc.JdbcAggregationRepository;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.Environment;

/**
 * Windowed aggregation end to end: circle-usdc batched (through the shared hub's rails table), transfers through the
 * API, one Circle bulk request per window on the sandbox over HTTP, every transfer settled or failed with its line,
 * the ledger balanced. Windows are cut off with a fixed clock: a {@link SettlementBatcher} told it is the window's end
 * closes the due groups exactly as the clustered tick does.
 */
class SettlementBatchTest extends HubTest {

    private static final String RAIL = "circle-usdc";

    @Autowired
    SettlementWindows windows;
    @Autowired
    ConnectorRegistry connectors;
    @Autowired
    @Qualifier("settlementBatchRepository")
    JdbcAggregationRepository repository;
    @Autowired
    CamelContext camel;
    @Autowired
    ProducerTemplate producer;
    @Autowired
    ObjectMapper json;
    @Autowired
    Environment env;
    @Autowired
    SettlementBatches batches;

    /** Every scenario's windows end at the same midnight: no group of an earlier one may share its key. */
    @BeforeEach
    void noOpenWindows() {
        closeAt(Instant.parse("9999-01-01T00:00:00Z"));
        await().atMost(Duration.ofSeconds(30)).until(() -> repository.getKeys().isEmpty());
    }

    @AfterEach
    void unbatch() {
        TestRailsTable.restore();
        windows.reloadIfChanged();
        call("DELETE", "/v1/ops/sandbox/circle/faults").asOps().send();
    }

    @Test
    void oneWindowIsOneBulkRequestWithNettedLinesAndEveryTransferSettlesWithItsLine() {
        Instant started = Instant.now().minusSeconds(1);
        SettlementWindows.BatchWindow window = batchCircle("P1D", 100, true);
        TestPartner partner = newPartner("100 USDC");
        String a = wallet();
        String b = wallet();
        List<String> toA = List.of(create(partner, "1.000001", a), create(partner, "2.5", a), create(partner, "0.25", a));
        List<String> toB = List.of(create(partner, "3.000000", b), create(partner, "0.000001", b));
        List<String> all = concat(toA, toB);
        await().atMost(Duration.ofSeconds(30)).until(() -> aggregated(all) == all.size());
        all.forEach(id -> assertThat(status(partner, id)).as("waiting in its window").isEqualTo("ROUTED"));

        String group = new WindowGroup(RAIL, "USDC", window.end()).key();
        assertThat(closeAt(window.end().minusSeconds(1))).as("not due before its end").doesNotContain(group);
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(30))
                .until(() -> all.stream().allMatch(id -> status(partner, id).equals("ROUTED")));
        assertThat(closeAt(window.end())).as("due at its end").contains(group);
        awaitStatus(partner, all, "SETTLED");

        UUID batch = batchOf(all.get(0));
        all.forEach(id -> assertThat(batchOf(id)).as("one batch for the window").isEqualTo(batch));
        JsonNode detail = call("GET", "/v1/ops/settlement-batches/" + batch).asOps().send().json();
        assertThat(detail.get("status").asText()).isEqualTo("COMPLETED");
        assertThat(detail.get("netting").asBoolean()).isTrue();
        assertThat(detail.get("item_count").asInt()).isEqualTo(5);
        assertThat(detail.get("line_count").asInt()).isEqualTo(2);
        assertThat(detail.get("total").asText()).isEqualTo("6.750002");
        assertThat(detail.get("rail_batch_id").asText()).isNotBlank();
        JsonNode lines = detail.get("lines");
        assertThat(lines.get(0).get("amount").asText()).isEqualTo("3.750001");
        assertThat(lines.get(0).get("transfers").findValuesAsText("transfer_id")).containsExactlyElementsOf(toA);
        assertThat(lines.get(1).get("amount").asText()).isEqualTo("3.000001");
        assertThat(lines.get(1).get("transfers").findValuesAsText("transfer_id")).containsExactlyElementsOf(toB);
        for (JsonNode line : lines) {
            for (String id : line.get("transfers").findValuesAsText("transfer_id")) {
                JsonNode transfer = call("GET", "/v1/transfers/" + id).as(partner).send().json();
                assertThat(transfer.get("rail_reference").asText()).as("the line's Circle payout")
                        .isEqualTo(line.get("rail_reference").asText());
                assertThat(transfer.get("history").findValuesAsText("to"))
                        .containsExactly("ACCEPTED", "ROUTED", "SUBMITTED", "SETTLED");
            }
        }

        JsonNode executions = executions();
        assertThat(executions.get("by_batch").get(batch.toString()).asInt()).as("one bulk request").isEqualTo(1);
        for (JsonNode line : lines) {
            assertThat(executions.get("by_key").get(line.get("line_key").asText()).asInt()).isEqualTo(1);
        }
        all.forEach(id -> assertThat(executions.get("by_key").has(id)).as("no payout of its own").isFalse());
        assertThat(ledger.balance(partner.account(CurrencyCode.USDC, AccountKind.IN_FLIGHT))).isZero();
        assertThat(ledger.balance(partner.account(CurrencyCode.USDC, AccountKind.AVAILABLE)))
                .isEqualTo(100_000_000 - 6_750_002);
        LedgerInvariants.assertHold(jdbc);

        // Circle's statement lists each netted line once: reconciliation matches it to its transfers as a group
        JsonNode run = call("POST", "/v1/reconciliation/runs").asOps().json(Map.of("rail", RAIL, "from",
                started.toString(), "to", Instant.now().plusSeconds(1).toString())).send().json();
        assertThat(run.get("discrepancies").asInt()).as(run.toString()).isZero();
        assertThat(run.get("matched_transfers").asInt()).as("these 5, and any other in the period")
                .isGreaterThanOrEqualTo(5);

        JsonNode list = call("GET", "/v1/ops/settlement-batches?rail=circle-usdc&status=completed").asOps().send().json();
        assertThat(list.get("data").findValuesAsText("id")).contains(batch.toString());
    }

    @Test
    void aFullBatchIsSentWithoutWaitingForItsWindowAndNettingCanBeOff() {
        SettlementWindows.BatchWindow window = batchCircle("P1D", 3, false);
        TestPartner partner = newPartner("10 USDC");
        String a = wallet();
        List<String> first = List.of(create(partner, "1", a), create(partner, "1", a), create(partner, "1", a));
        awaitStatus(partner, first, "SETTLED");
        UUID batch = batchOf(first.get(0));
        JsonNode detail = call("GET", "/v1/ops/settlement-batches/" + batch).asOps().send().json();
        assertThat(detail.get("line_count").asInt()).as("netting off: one line per transfer").isEqualTo(3);
        assertThat(detail.get("netting").asBoolean()).isFalse();

        String fourth = create(partner, "1", a);
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(30))
                .until(() -> status(partner, fourth).equals("ROUTED"));
        closeAt(window.end());
        awaitStatus(partner, List.of(fourth), "SETTLED");
        assertThat(batchOf(fourth)).isNotEqualTo(batch);
        LedgerInvariants.assertHold(jdbc);
    }

    /**
     * The aggregator adds a poll's instructions to their group at once, so one poll can overfill it: sealing splits it,
     * in arrival order, into batches of at most max-items, each executed once; sealed again (a recovered completion),
     * the group finds the same batches and makes none.
     */
    @Test
    void aGroupOverfilledByOnePollIsSealedIntoBatchesOfAtMostMaxItems() throws Exception {
        SettlementWindows.BatchWindow window = batchCircle("P1D", 2, false);
        TestPartner partner = newPartner("20 USDC");
        Map<String, Object> group = Map.of(SettlementBatcher.GROUP, new WindowGroup(RAIL, "USDC", window.end()).key(),
                SettlementBatcher.MAX_ITEMS, 2);
        List<String> ids = new ArrayList<>();
        camel.getRouteController().stopRoute("settlement-batch.items.consume"); // the poll is this test's
        try {
            for (int i = 1; i <= 5; i++) {
                ids.add(create(partner, String.valueOf(i), wallet()));
            }
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> ids.stream().allMatch(id -> status(partner, id).equals("ROUTED")));
            producer.sendBodyAndHeaders("direct:settlement-batch.aggregate", ids, group);
            awaitStatus(partner, ids, "SETTLED");

            List<UUID> sealed = ids.stream().map(this::batchOf).distinct().toList();
            assertThat(sealed).hasSize(3);
            assertThat(ids.stream().map(this::batchOf).toList()).as("two, two and one, in arrival order")
                    .containsExactly(sealed.get(0), sealed.get(0), sealed.get(1), sealed.get(1), sealed.get(2));
            JsonNode executions = executions();
            sealed.forEach(batch -> assertThat(executions.get("by_batch").get(batch.toString()).asInt()).isEqualTo(1));

            long batchCount = jdbc.sql("select count(*) from settlement_batches").query(Long.class).single();
            Exchange again = ExchangeBuilder.anExchange(camel).withBody(ids).build();
            again.getIn().setHeaders(new HashMap<>(group));
            batches.seal(again);
            assertThat(again.getMessage().getBody(List.class))
                    .containsExactlyElementsOf(sealed.stream().map(UUID::toString).toList());
            assertThat(jdbc.sql("select count(*) from settlement_batches").query(Long.class).single())
                    .isEqualTo(batchCount);
            assertThat(ledger.balance(partner.account(CurrencyCode.USDC, AccountKind.AVAILABLE)))
                    .isEqualTo(20_000_000 - 15_000_000);
            LedgerInvariants.assertHold(jdbc);
        } finally {
            camel.getRouteController().startRoute("settlement-batch.items.consume");
        }
    }

    @Test
    void aLineTheRailFailsFailsOnlyTheTransfersOfThatLine() {
        SettlementWindows.BatchWindow window = batchCircle("P1D", 100, true);
        call("DELETE", "/v1/ops/sandbox/circle/state").asOps().send(); // the fault rolls replay from the seed
        assertThat(call("PUT", "/v1/ops/sandbox/circle/faults").asOps().json(Map.of("fail_rate", 0.5)).send().status())
                .isEqualTo(200);
        TestPartner partner = newPartner("100 USDC");
        List<String> ids = new ArrayList<>();
        String netted = wallet();
        ids.add(create(partner, "1.5", netted));
        ids.add(create(partner, "2.5", netted));
        for (int i = 0; i < 8; i++) {
            ids.add(create(partner, "1", wallet()));
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> aggregated(ids) == ids.size());
        closeAt(window.end());
        await().atMost(Duration.ofSeconds(30)).until(() -> ids.stream().map(id -> status(partner, id))
                .allMatch(s -> s.equals("SETTLED") || s.equals("FAILED")));

        JsonNode detail = call("GET", "/v1/ops/settlement-batches/" + batchOf(ids.get(0))).asOps().send().json();
        assertThat(detail.get("line_count").asInt()).isEqualTo(9);
        Set<String> outcomes = new HashSet<>();
        long settled = 0;
        for (JsonNode line : detail.get("lines")) {
            String outcome = line.get("outcome").asText();
            outcomes.add(outcome);
            for (JsonNode transfer : line.get("transfers")) {
                JsonNode view = call("GET", "/v1/transfers/" + transfer.get("transfer_id").asText()).as(partner).send()
                        .json();
                assertThat(view.get("status").asText()).as("a transfer shares its line's fate").isEqualTo(outcome);
                if (outcome.equals("FAILED")) {
                    assertThat(view.get("failure").get("code").asText()).isEqualTo("transaction_denied");
                } else {
                    settled += CurrencyCode.USDC.toMinor(new java.math.BigDecimal(transfer.get("amount").asText()));
                }
            }
        }
        assertThat(outcomes).as("the seeded rolls fail some lines and pay others").containsExactlyInAnyOrder(
                "SETTLED", "FAILED");
        assertThat(detail.get("status").asText()).isEqualTo("COMPLETED_WITH_FAILURES");
        assertThat(ledger.balance(partner.account(CurrencyCode.USDC, AccountKind.IN_FLIGHT))).isZero();
        assertThat(ledger.balance(partner.account(CurrencyCode.USDC, AccountKind.AVAILABLE)))
                .as("only what settled left the partner").isEqualTo(100_000_000 - settled);
        LedgerInvariants.assertHold(jdbc);
    }

    @Test
    void aBatchWhoseAnswerIsLostIsSentAgainAndExecutedOnce() {
        batchCircle("P1D", 2, true);
        call("PUT", "/v1/ops/sandbox/circle/faults").asOps().json(Map.of("lose_confirmation_rate", 1)).send();
        TestPartner partner = newPartner("10 USDC");
        List<String> ids = List.of(create(partner, "1", wallet()), create(partner, "2", wallet()));
        await().atMost(Duration.ofSeconds(30)).until(() -> jdbc.sql(
                "select count(*) from settlement_batch_items where transfer_id = ?::uuid").param(ids.get(0))
                .query(Long.class).single() == 1);
        UUID batch = batchOf(ids.get(0));
        await().atMost(Duration.ofSeconds(30)).until(() -> executions().path("by_batch").has(batch.toString()));
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(30))
                .until(() -> ids.stream().allMatch(id -> status(partner, id).equals("SUBMITTED")));

        call("DELETE", "/v1/ops/sandbox/circle/faults").asOps().send();
        awaitStatus(partner, ids, "SETTLED");
        assertThat(executions().get("by_batch").get(batch.toString()).asInt()).as("executed once").isEqualTo(1);
        LedgerInvariants.assertHold(jdbc);
    }

    @Test
    void aTransferOfANettedLineIsRefundedAloneFromItsLinesPayout() {
        batchCircle("P1D", 2, true);
        TestPartner partner = newPartner("10 USDC");
        String a = wallet();
        List<String> ids = List.of(create(partner, "3", a), create(partner, "2", a));
        awaitStatus(partner, ids, "SETTLED");
        Reply refund = call("POST", "/v1/transfers/" + ids.get(0) + "/refunds").as(partner)
                .header("Idempotency-Key", UUID.randomUUID().toString()).json(Map.of("amount", "3")).send();
        assertThat(refund.status()).as(refund.toString()).isEqualTo(201);
        String refundId = refund.json().get("id").asText();
        await().atMost(Duration.ofSeconds(30)).until(() -> call("GET", "/v1/refunds/" + refundId).as(partner).send()
                .json().get("status").asText().equals("SUCCEEDED"));
        assertThat(status(partner, ids.get(1))).as("its line-mate keeps its payment").isEqualTo("SETTLED");
        assertThat(ledger.balance(partner.account(CurrencyCode.USDC, AccountKind.AVAILABLE))).isEqualTo(8_000_000);
        LedgerInvariants.assertHold(jdbc);
    }

    /**
     * A transfer of a batched rail whose place in its window is lost (its group's row gone, as when its instruction
     * was consumed while PostgreSQL was down: the consumer moves on) waits ROUTED in no window. While its window is
     * open nothing happens; once it has ended, the re-offer sweep puts it in the window open now, which seals and pays
     * it once. Offered to the aggregator again after that (a sweep racing the sealing), it is left out: no second
     * batch, no second payout.
     */
    @Test
    void aTransferWhoseAggregationWasLostIsOfferedAgainAfterItsWindowAndPaidOnce() {
        SettlementWindows.BatchWindow window = batchCircle("P1D", 100, true);
        TestPartner partner = newPartner("10 USDC");
        String id = create(partner, "1.250001", wallet());
        await().atMost(Duration.ofSeconds(30)).until(() -> aggregated(List.of(id)) == 1);
        assertThat(jdbc.sql("delete from settlement_batch_aggregation where id = ?")
                .param(new WindowGroup(RAIL, "USDC", window.end()).key()).update()).isEqualTo(1);
        assertThat(aggregated(List.of(id))).as("in no window").isZero();
        assertThat(status(partner, id)).isEqualTo("ROUTED");
        Instant routedAt = updatedAt(id);
        batches.reofferStranded();
        assertThat(updatedAt(id)).as("its window is still open: not offered again").isEqualTo(routedAt);

        // its window has ended (routed two days ago) and it is in no batch: the sweep offers it again
        jdbc.sql("update transfers set updated_at = updated_at - interval '2 days' where id = ?::uuid").param(id)
                .update();
        await().atMost(Duration.ofSeconds(40)).until(() -> aggregated(List.of(id)) == 1);
        assertThat(status(partner, id)).as("waiting in the window open now").isEqualTo("ROUTED");
        closeAt(window.end());
        awaitStatus(partner, List.of(id), "SETTLED");
        UUID batch = batchOf(id);
        JsonNode detail = call("GET", "/v1/ops/settlement-batches/" + batch).asOps().send().json();
        assertThat(detail.get("item_count").asInt()).isEqualTo(1);
        assertThat(detail.get("window_end").asText()).isEqualTo(window.end().toString());

        // a late second offer of the same transfer, into a window with another one: sealing leaves it out
        String other = create(partner, "2", wallet());
        await().atMost(Duration.ofSeconds(30)).until(() -> aggregated(List.of(other)) == 1);
        producer.sendBodyAndHeaders("direct:settlement-batch.aggregate", List.of(id),
                Map.of(SettlementBatcher.GROUP, new WindowGroup(RAIL, "USDC", window.end()).key(),
                        SettlementBatcher.MAX_ITEMS, 100));
        assertThat(aggregated(List.of(id, other))).as("both offered to one window").isEqualTo(2);
        closeAt(window.end());
        awaitStatus(partner, List.of(other), "SETTLED");
        UUID second = batchOf(other);
        assertThat(second).isNotEqualTo(batch);
        assertThat(call("GET", "/v1/ops/settlement-batches/" + second).asOps().send().json().get("item_count").asInt())
                .as("only the transfer not paid yet").isEqualTo(1);
        assertThat(batchOf(id)).isEqualTo(batch);
        JsonNode executions = executions();
        assertThat(executions.get("by_batch").get(batch.toString()).asInt()).isEqualTo(1);
        assertThat(executions.get("by_key").get(detail.get("lines").get(0).get("line_key").asText()).asInt())
                .isEqualTo(1);
        assertThat(executions.get("by_key").has(id)).as("never paid one by one").isFalse();
        assertThat(status(partner, id)).isEqualTo("SETTLED");
        assertThat(ledger.balance(partner.account(CurrencyCode.USDC, AccountKind.AVAILABLE)))
                .isEqualTo(10_000_000 - 1_250_001 - 2_000_000);
        LedgerInvariants.assertHold(jdbc);
    }

    /**
     * Late returns, watched per batch (a transfer of a batch is never asked about alone): the rail gives back some
     * lines of a settled batch (the sandbox's seeded rolls at a return rate of one half return some of these three
     * netted and three single lines, and keep others). Each transfer of a returned line is returned whole, exactly
     * once; the transfers of the other lines, netted ones included, stay settled; the bulk was executed once.
     */
    @Test
    void aLateReturnOfALineReturnsTheTransfersOfThatLineOnlyAndOnce() {
        SettlementWindows.BatchWindow window = batchCircle("P1D", 100, true);
        call("DELETE", "/v1/ops/sandbox/circle/state").asOps().send(); // the rolls replay from the seed
        assertThat(call("PUT", "/v1/ops/sandbox/circle/faults").asOps().json(Map.of("return_rate", 0.5,
                "return_after_ms", 2500)).send().status()).isEqualTo(200);
        TestPartner partner = newPartner("100 USDC");
        String a = wallet();
        String b = wallet();
        String c = wallet();
        List<String> ids = List.of(create(partner, "1", a), create(partner, "2", a), create(partner, "3", wallet()),
                create(partner, "4", b), create(partner, "5", b), create(partner, "6", c), create(partner, "7", c),
                create(partner, "8", wallet()), create(partner, "9", wallet()));
        await().atMost(Duration.ofSeconds(30)).until(() -> aggregated(ids) == ids.size());
        closeAt(window.end());
        await().atMost(Duration.ofSeconds(30)).until(() -> ids.stream().map(id -> status(partner, id))
                .allMatch(s -> s.equals("SETTLED") || s.equals("RETURNED")));
        UUID batch = batchOf(ids.get(0));
        // the watch: at 1, 1, 2, 4 and 8 s after the batch completed, for 15 s (HubTest)
        await().atMost(Duration.ofSeconds(40)).until(() -> jdbc.sql(
                "select return_watch_until is null from settlement_batches where id = ?").param(batch)
                .query(Boolean.class).single());

        // the watch ends as its last look is sent: the answer to that look may still be on its way
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            Set<String> nettedOutcomes = new HashSet<>();
            Set<String> singleOutcomes = new HashSet<>();
            for (JsonNode line : call("GET", "/v1/ops/settlement-batches/" + batch).asOps().send().json().get("lines")) {
                (line.get("transfers").size() > 1 ? nettedOutcomes : singleOutcomes).add(line.get("outcome").asText());
            }
            assertThat(nettedOutcomes).as("the seeded rolls return a netted line and keep another")
                    .containsExactlyInAnyOrder("RETURNED", "SETTLED");
            assertThat(singleOutcomes).as("...and so for single lines").containsExactlyInAnyOrder("RETURNED", "SETTLED");
        });
        JsonNode detail = call("GET", "/v1/ops/settlement-batches/" + batch).asOps().send().json();
        assertThat(detail.get("line_count").asInt()).isEqualTo(6);
        long kept = 0;
        for (JsonNode line : detail.get("lines")) {
            String outcome = line.get("outcome").asText();
            for (JsonNode item : line.get("transfers")) {
                String id = item.get("transfer_id").asText();
                JsonNode transfer = call("GET", "/v1/transfers/" + id).as(partner).send().json();
                long returns = jdbc.sql("select count(*) from refunds where transfer_id = ?::uuid and kind = 'RETURN'")
                        .param(id).query(Long.class).single();
                if (outcome.equals("RETURNED")) {
                    assertThat(transfer.get("status").asText()).isEqualTo("RETURNED");
                    assertThat(transfer.get("history").findValuesAsText("to")).as("returned after it settled")
                            .containsExactly("ACCEPTED", "ROUTED", "SUBMITTED", "SETTLED", "RETURNED");
                    assertThat(returns).as("one return of " + id).isEqualTo(1);
                } else {
                    assertThat(transfer.get("status").asText()).isEqualTo("SETTLED");
                    assertThat(returns).isZero();
                    kept += CurrencyCode.USDC.toMinor(new java.math.BigDecimal(item.get("amount").asText()));
                }
            }
        }
        assertThat(ledger.balance(partner.account(CurrencyCode.USDC, AccountKind.IN_FLIGHT))).isZero();
        assertThat(ledger.balance(partner.account(CurrencyCode.USDC, AccountKind.AVAILABLE)))
                .as("what was returned is back, once").isEqualTo(100_000_000 - kept);
        JsonNode executions = executions();
        assertThat(executions.get("by_batch").get(batch.toString()).asInt()).as("watching executes nothing")
                .isEqualTo(1);
        assertThat(executions.get("requests_by_batch").get(batch.toString()).asInt())
                .as("each look reads the bulk by the rail's id, it does not post it again").isEqualTo(1);
        LedgerInvariants.assertHold(jdbc);
    }

    /**
     * A part of a line comes back (the rail returns half of each payout): for a line of one transfer that is the
     * transfer's partial return, reversed once; for a netted line it cannot be told whose it is, so nothing moves and
     * the line, its batch and its transfers are left for review.
     */
    @Test
    void aPartOfANettedLineReturnedIsLeftForReviewAndOfASingleLineIsReturnedInPart() {
        SettlementWindows.BatchWindow window = batchCircle("P1D", 100, true);
        assertThat(call("PUT", "/v1/ops/sandbox/circle/faults").asOps().json(Map.of("return_rate", 1,
                "return_share", 0.5, "return_after_ms", 2500)).send().status()).isEqualTo(200);
        TestPartner partner = newPartner("100 USDC");
        String a = wallet();
        List<String> netted = List.of(create(partner, "1", a), create(partner, "3", a));
        String single = create(partner, "2", wallet());
        List<String> ids = concat(netted, List.of(single));
        await().atMost(Duration.ofSeconds(30)).until(() -> aggregated(ids) == ids.size());
        closeAt(window.end());
        awaitStatus(partner, ids, "SETTLED");
        UUID batch = batchOf(single);
        await().atMost(Duration.ofSeconds(40)).until(() -> jdbc.sql(
                "select return_watch_until is null from settlement_batches where id = ?").param(batch)
                .query(Boolean.class).single());

        // the watch ends as its last look is sent: the answer to that look may still be on its way
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            JsonNode detail = call("GET", "/v1/ops/settlement-batches/" + batch).asOps().send().json();
            assertThat(detail.get("needs_review").asBoolean()).isTrue();
            JsonNode nettedLine = detail.get("lines").get(0);
            assertThat(nettedLine.get("amount").asText()).isEqualTo("4.000000");
            assertThat(nettedLine.get("returned").asText()).isEqualTo("2.000000");
            assertThat(nettedLine.get("needs_review").asBoolean()).isTrue();
            JsonNode singleLine = detail.get("lines").get(1);
            assertThat(singleLine.get("returned").asText()).isEqualTo("1.000000");
            assertThat(singleLine.get("needs_review").asBoolean()).isFalse();
        });
        for (String id : netted) {
            assertThat(status(partner, id)).isEqualTo("SETTLED");
            assertThat(jdbc.sql("select needs_review from transfers where id = ?::uuid").param(id)
                    .query(Boolean.class).single()).as("left for review").isTrue();
            assertThat(jdbc.sql("select count(*) from refunds where transfer_id = ?::uuid").param(id)
                    .query(Long.class).single()).as("nothing reversed").isZero();
        }
        assertThat(status(partner, single)).as("a part came back: it stands").isEqualTo("SETTLED");
        assertThat(jdbc.sql("select destination_amount_minor from refunds where transfer_id = ?::uuid and kind = "
                + "'RETURN'").param(single).query(Long.class).list()).as("its part, once").containsExactly(1_000_000L);
        assertThat(ledger.balance(partner.account(CurrencyCode.USDC, AccountKind.AVAILABLE)))
                .isEqualTo(100_000_000 - 6_000_000 + 1_000_000);
        LedgerInvariants.assertHold(jdbc);
    }

    /**
     * A second hub on the same database and broker aggregates a window and goes away before the window ends; the
     * windows it held are in PostgreSQL, and this hub closes them: everything settles once, in one bulk request.
     */
    @Test
    void windowsHeldByAHubThatStoppedAreSentByAnotherAndNothingIsLostOrPaidTwice() throws Exception {
        SettlementWindows.BatchWindow window = batchCircle("P1D", 100, true);
        TestPartner partner = newPartner("100 USDC");
        List<String> ids = new ArrayList<>();
        camel.getRouteController().stopRoute("settlement-batch.items.consume"); // the other hub aggregates them all
        ConfigurableApplicationContext other = null;
        try {
            other = secondHub();
            String a = wallet();
            ids.add(create(partner, "4.000004", a));
            ids.add(create(partner, "1", a));
            ids.add(create(partner, "2", wallet()));
            ids.add(create(partner, "3", wallet()));
            await().atMost(Duration.ofSeconds(60)).until(() -> aggregated(ids) == ids.size());
            assertThat(jdbc.sql("select count(*) from settlement_batch_items where transfer_id in (?::uuid, ?::uuid, "
                    + "?::uuid, ?::uuid)").params(ids.toArray()).query(Long.class).single()).isZero();
            other.close(); // its aggregator's memory is gone; its windows are not complete
            other = null;
        } finally {
            if (other != null) {
                other.close();
            }
            camel.getRouteController().startRoute("settlement-batch.items.consume");
        }
        ids.forEach(id -> assertThat(status(partner, id)).isEqualTo("ROUTED"));
        closeAt(window.end());
        awaitStatus(partner, ids, "SETTLED");

        UUID batch = batchOf(ids.get(0));
        ids.forEach(id -> assertThat(batchOf(id)).isEqualTo(batch));
        JsonNode detail = call("GET", "/v1/ops/settlement-batches/" + batch).asOps().send().json();
        assertThat(detail.get("line_count").asInt()).isEqualTo(3);
        assertThat(detail.get("total").asText()).isEqualTo("10.000004");
        JsonNode executions = executions();
        assertThat(executions.get("by_batch").get(batch.toString()).asInt()).isEqualTo(1);
        detail.get("lines").forEach(line -> assertThat(executions.get("by_key").get(line.get("line_key").asText())
                .asInt()).isEqualTo(1));
        assertThat(ledger.balance(AccountKey.partner(partner.id().toString(), CurrencyCode.USDC,
                AccountKind.AVAILABLE))).isEqualTo(100_000_000 - 10_000_004);
        LedgerInvariants.assertHold(jdbc);
    }

    @Test
    void windowsAreSlicesOfTheDayInTheRailsZoneEndedByTheCutOff() {
        TestRailsTable.write(rails -> {
            ObjectNode circle = (ObjectNode) rails.get(RAIL);
            circle.set("batching", JSON.valueToTree(Map.of("window", "PT5M", "max-items", 500, "netting", true)));
            ((ObjectNode) circle.get("currencies").get("USD")).set("batching",
                    JSON.valueToTree(Map.of("window", "PT1H", "max-items", 200, "netting", false)));
        });
        SettlementWindows at = new SettlementWindows(TestRailsTable.FILE, Clock.systemUTC(), jdbc);
        SettlementWindows.BatchWindow usdc = at.batchWindow(RAIL, "USDC", Instant.parse("2026-11-26T14:03:10Z"))
                .orElseThrow();
        assertThat(usdc.start()).isEqualTo(Instant.parse("2026-11-26T14:00:00Z"));
        assertThat(usdc.end()).isEqualTo(Instant.parse("2026-11-26T14:05:00Z"));
        assertThat(usdc.maxItems()).isEqualTo(500);
        // wires: hourly batches in New York, the last one cut off at 16:30 (21:30 UTC in November)
        SettlementWindows.BatchWindow wires = at.batchWindow(RAIL, "USD", Instant.parse("2026-11-26T21:10:00Z"))
                .orElseThrow();
        assertThat(wires.start()).isEqualTo(Instant.parse("2026-11-26T21:00:00Z"));
        assertThat(wires.end()).isEqualTo(Instant.parse("2026-11-26T21:30:00Z"));
        assertThat(wires.netting()).isFalse();
        assertThat(at.batchWindow("pix", "BRL", Instant.now())).as("not batched").isEmpty();
    }

    /**
     * Prod-safe default: the shipped table batches no rail (Circle's public API has no bulk endpoint); its commented
     * example, once uncommented, is a valid batching of circle-usdc.
     */
    @Test
    void theShippedRailsTableBatchesNoRailAndItsCommentedExampleIsValid() throws Exception {
        Path shipped = Path.of("config", "rails.yaml");
        SettlementWindows asShipped = new SettlementWindows(shipped, Clock.systemUTC(), jdbc);
        for (String rail : connectors.all().keySet()) {
            for (String currency : connectors.all().get(rail).currencies()) {
                assertThat(asShipped.batchWindow(rail, currency, Instant.now())).as(rail + " " + currency).isEmpty();
            }
        }
        Path uncommented = Path.of("target", "rails-example-" + ProcessHandle.current().pid() + ".yaml");
        Files.writeString(uncommented, Files.readString(shipped)
                .replaceAll("(?m)^    # (batching:|  window:|  max-items:|  netting:)", "    $1"));
        SettlementWindows example = new SettlementWindows(uncommented, Clock.systemUTC(), jdbc);
        SettlementWindows.BatchWindow usdc = example.batchWindow(RAIL, "USDC", Instant.parse("2026-11-26T14:03:10Z"))
                .orElseThrow();
        assertThat(usdc.end()).isEqualTo(Instant.parse("2026-11-26T14:05:00Z"));
        assertThat(usdc.maxItems()).isEqualTo(500);
        assertThat(usdc.netting()).isTrue();
        assertThat(example.batchWindow("pix", "BRL", Instant.now())).isEmpty();
    }

    @Test
    void anInvalidBatchingIsRefusedWithEveryFaultNamed() {
        TestRailsTable.write(rails -> ((ObjectNode) rails.get(RAIL)).set("batching",
                JSON.valueToTree(Map.of("window", "PT7M", "max-items", 0))));
        assertThatThrownBy(() -> new SettlementWindows(TestRailsTable.FILE, Clock.systemUTC(), jdbc))
                .hasMessageContaining("rails.circle-usdc.batching.window 'PT7M'")
                .hasMessageContaining("rails.circle-usdc.batching.max-items must be 1 to 10000")
                .hasMessageContaining("rails.circle-usdc.batching.netting must be true or false");
        assertThat(windows.reloadIfChanged()).as("the edit is refused").isFalse();
        assertThat(windows.batchWindow(RAIL, "USDC", Instant.now())).as("the table in force stays").isEmpty();
    }

    @Test
    void opsReadBatchesPartnersCannotAndBadQueriesAreProblems() {
        TestPartner partner = newPartner();
        assertThat(call("GET", "/v1/ops/settlement-batches").as(partner).send().status()).isEqualTo(403);
        assertThat(call("GET", "/v1/ops/settlement-batches").send().status()).isEqualTo(401);
        Reply badStatus = call("GET", "/v1/ops/settlement-batches?status=LOST").asOps().send();
        assertThat(badStatus.status()).isEqualTo(400);
        assertThat(badStatus.contentType()).startsWith("application/problem+json");
        assertThat(badStatus.json().get("code").asText()).isEqualTo("invalid_query");
        assertThat(badStatus.json().get("field").asText()).isEqualTo("status");
        assertThat(call("GET", "/v1/ops/settlement-batches?limit=0").asOps().send().json().get("field").asText())
                .isEqualTo("limit");
        Reply missing = call("GET", "/v1/ops/settlement-batches/" + UUID.randomUUID()).asOps().send();
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.json().get("code").asText()).isEqualTo("not_found");
        assertThat(call("GET", "/v1/ops/settlement-batches/not-a-uuid").asOps().send().status()).isEqualTo(404);
    }

    // ---------------------------------------------------------------------------------------------------------------

    /** Batches circle-usdc (USDC and USD) in the shared hub; returns the USDC window open now, at least a minute long. */
    private SettlementWindows.BatchWindow batchCircle(String length, int maxItems, boolean netting) {
        TestRailsTable.write(rails -> ((ObjectNode) rails.get(RAIL)).set("batching", JSON.valueToTree(
                Map.of("window", length, "max-items", maxItems, "netting", netting))));
        windows.reloadIfChanged();
        assertThat(windows.batchWindow(RAIL, "USDC", Instant.now())).as("batching in force").isPresent();
        // a day-long window ends at midnight UTC: never start a scenario in its last minute
        await().atMost(Duration.ofSeconds(90)).until(() -> windows.batchWindow(RAIL, "USDC", Instant.now())
                .orElseThrow().end().isAfter(Instant.now().plusSeconds(60)));
        return windows.batchWindow(RAIL, "USDC", Instant.now()).orElseThrow();
    }

    /** Closes, as the window tick does, every group due at {@code at}; returns their keys. */
    private List<String> closeAt(Instant at) {
        List<String> due = new SettlementBatcher(windows, connectors, repository, json, Clock.fixed(at, ZoneOffset.UTC))
                .dueGroups();
        producer.sendBody("direct:settlement-batch.close", due);
        return due;
    }

    /** How many of these transfers sit in an open window group of the repository. */
    private long aggregated(List<String> ids) {
        long found = 0;
        for (String key : repository.getKeys()) {
            var group = repository.get(camel, key);
            if (group != null) {
                found += group.getIn().getBody(List.class).stream().filter(ids::contains).count();
            }
        }
        return found;
    }

    private Instant updatedAt(String transferId) {
        return jdbc.sql("select updated_at from transfers where id = ?::uuid").param(transferId)
                .query(java.sql.Timestamp.class).single().toInstant();
    }

    private UUID batchOf(String transferId) {
        return jdbc.sql("select batch_id from settlement_batch_items where transfer_id = ?::uuid").param(transferId)
                .query(UUID.class).single();
    }

    private JsonNode executions() {
        return call("GET", "/v1/ops/sandbox/circle/executions").asOps().send().json();
    }

    private String create(TestPartner partner, String amount, String wallet) {
        return createTransfer(partner, TransferFixtures.body(amount, "USDC", Map.of("currency", "USDC",
                "network", "circle", "circle_wallet_id", wallet)));
    }

    private String status(TestPartner partner, String id) {
        return call("GET", "/v1/transfers/" + id).as(partner).send().json().get("status").asText();
    }

    private void awaitStatus(TestPartner partner, List<String> ids, String status) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .until(() -> ids.stream().allMatch(id -> status(partner, id).equals(status)));
    }

    private static String wallet() {
        return "w" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    /** Another hub on this hub's database and broker, paying through this hub's sandboxes. */
    private ConfigurableApplicationContext secondHub() {
        String sandbox = "http://localhost:" + port + "/sandbox";
        Map<String, String> args = new LinkedHashMap<>();
        args.put("server.port", String.valueOf(TestPorts.free()));
        args.put("camel.main.name", "railyard-second");
        // Quartz keeps data sources JVM-wide by scheduler name: closing this hub must not close the shared one's
        args.put("spring.quartz.scheduler-name", "railyard-second");
        args.put("railyard.db.url", env.getProperty("spring.datasource.url"));
        args.put("railyard.db.username", env.getProperty("spring.datasource.username"));
        args.put("railyard.db.password", env.getProperty("spring.datasource.password", ""));
        args.put("railyard.kafka.brokers", env.getProperty("camel.component.kafka.brokers"));
        args.put("railyard.sandbox.enabled", "false");
        args.put("railyard.windows.table", TestRailsTable.FILE.toAbsolutePath().toString());
        args.put("railyard.connectors.pix.base-url", sandbox + "/pix");
        args.put("railyard.connectors.spei.base-url", sandbox + "/spei");
        args.put("railyard.connectors.circle-usdc.base-url", sandbox + "/circle");
        args.put("railyard.connectors.base-usdc.rpc-url", sandbox + "/base/rpc");
        args.put("railyard.connectors.base-usdc.indexer-url", sandbox + "/base");
        args.put("railyard.reconciliation.enabled", "false");
        return new SpringApplicationBuilder(RailyardApplication.class).run(args.entrySet().stream()
                .map(e -> "--" + e.getKey() + "=" + e.getValue()).toArray(String[]::new));
    }
}
