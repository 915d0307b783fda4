package io.railyard.settlement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.railyard.HubTest;
import io.railyard.KafkaProbe;
import io.railyard.connector.RailGate;
import io.railyard.ledger.AccountKey;
import io.railyard.ledger.AccountKind;
import io.railyard.ledger.CurrencyCode;
import io.railyard.ledger.LedgerInvariants;
import io.railyard.routing.TransferRouter;
import io.railyard.transfer.TransferFixtures;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Value;

/** From POST /v1/transfers to SETTLED through each rail's connector and sandbox, with a balanced ledger. */
class RailEndToEndTest extends HubTest {

    @Value("${camel.component.kafka.brokers}")
    String brokers;

    @Test
    void pixSettlesWithAnEndToEndId() {
        JsonNode settled = settle(newPartner("100 BRL"), TransferFixtures.pix("12.34"), "pix", "BRL", 1234);
        assertThat(settled.get("rail_reference").asText()).matches("E[0-9]{8}[0-9]{12}[A-Za-z0-9]{11}");
    }

    @Test
    void speiSettlesWithATrackingKey() {
        JsonNode settled = settle(newPartner("1000 MXN"), TransferFixtures.spei("250.00"), "spei", "MXN", 25000);
        assertThat(settled.get("rail_reference").asText()).matches("RY[0-9A-F]{28}");
    }

    @Test
    void circleSettlesUsdcToAWalletAndUsdByWire() {
        JsonNode usdc = settle(newPartner("100 USDC"), TransferFixtures.circle("1.500001"), "circle-usdc", "USDC",
                1_500_001);
        assertThat(usdc.get("rail_reference").asText()).matches("[0-9a-f-]{36}");
        // USD wires have a New York cut-off: ops open the window for the test, whatever the time of day
        call("POST", "/v1/ops/settlement-windows/circle-usdc/override").asOps().json(Map.of("state", "OPEN",
                "currency", "USD", "until", java.time.Instant.now().plusSeconds(600).toString(),
                "reason", "test: wires at any hour")).send();
        try {
            settle(newPartner("100 USD"), TransferFixtures.usdWire("20.00"), "circle-usdc", "USD", 2000);
        } finally {
            call("POST", "/v1/ops/settlement-windows/circle-usdc/override").asOps().json(Map.of("state", "CLEARED",
                    "currency", "USD", "reason", "test over")).send();
        }
    }

    @Test
    void baseSettlesWithATransactionHashAfterConfirmations() {
        JsonNode settled = settle(newPartner("100 USDC"), TransferFixtures.base("3.25"), "base-usdc", "USDC",
                3_250_000);
        String hash = settled.get("rail_reference").asText();
        assertThat(hash).matches("0x[0-9a-f]{64}");
        assertThat(jdbc.sql("select tx_hash from evm_transactions where transfer_id = ?::uuid")
                .param(settled.get("id").asText()).query(String.class).single()).isEqualTo(hash);
    }

    @Test
    void aRailRefusalFailsTheTransferAndGivesTheHoldBack() {
        TestPartner partner = newPartner("100 BRL");
        call("PUT", "/v1/ops/sandbox/pix/faults").asOps().json(Map.of("fail_rate", 1.0)).send();
        try {
            String id = createTransfer(partner, TransferFixtures.pix("9.00"));
            JsonNode failed = awaitFinal(partner, id);
            assertThat(failed.get("status").asText()).isEqualTo("FAILED");
            assertThat(ledger.balance(partner.account(CurrencyCode.BRL, AccountKind.AVAILABLE))).isEqualTo(10000);
            assertThat(ledger.balance(partner.account(CurrencyCode.BRL, AccountKind.IN_FLIGHT))).isZero();
        } finally {
            call("DELETE", "/v1/ops/sandbox/pix/faults").asOps().send();
        }
    }

    /**
     * A connector's consumer holds a payout only until the rail has it; the status reads go on off the consumer
     * (routes/rail-status.camel.yaml). Twelve Pix payouts, more than Pix's consumers, each pending at the rail for
     * 1.5 s, are all sent within those 1.5 s. Had a consumer waited for its payout's final answer, one of them given
     * two payouts (there are more payouts than partitions) would have sent the second only after the first was final.
     */
    @Test
    void aConnectorSendsTheNextPayoutWhileEarlierOnesArePendingAtTheRail() {
        TestPartner partner = newPartner("100 BRL");
        List<Map<String, Object>> items = IntStream.range(0, 12).mapToObj(i -> TransferFixtures.pix("1.00")).toList();
        call("PUT", "/v1/ops/sandbox/pix/faults").asOps().json(Map.of("settle_after_ms", 1500)).send();
        String batch;
        try {
            Reply accepted = call("POST", "/v1/transfers/batch").as(partner)
                    .header("Idempotency-Key", UUID.randomUUID().toString()).json(Map.of("items", items)).send();
            assertThat(accepted.status()).as(accepted.toString()).isEqualTo(201);
            batch = accepted.json().get("id").asText();
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> jdbc.sql(
                    "select count(*) from transfers where batch_id = ?::uuid and status = 'SETTLED'").param(batch)
                    .query(Long.class).single() == items.size());
        } finally {
            call("DELETE", "/v1/ops/sandbox/pix/faults").asOps().send();
        }
        long sentWithinMs = jdbc.sql("""
                select (extract(epoch from max(tt.at) - min(tt.at)) * 1000)::bigint from transfer_transitions tt
                    join transfers t on t.id = tt.transfer_id
                where t.batch_id = ?::uuid and tt.to_status = 'SUBMITTED'""").param(batch).query(Long.class).single();
        assertThat(sentWithinMs).as("from the first payout sent to the last").isLessThan(1500);
    }

    /**
     * The return watch looks at a settled payout again (in tests at 1, 2, 4 and 8 s after it settled): a look that finds
     * it as it was (settled, nothing returned) sends the settlement stage nothing, so the bus carries one result for
     * each payout, its settlement, however often it is looked at; and a look only reads the payout, never orders it
     * again.
     */
    @Test
    void aLookOfTheReturnWatchThatFindsNothingNewSendsNoResult() {
        Map<String, String> railOf = new LinkedHashMap<>();
        railOf.put(createTransfer(newPartner("100 BRL"), TransferFixtures.pix("5.00")), "pix");
        railOf.put(createTransfer(newPartner("1000 MXN"), TransferFixtures.spei("50.00")), "spei");
        railOf.put(createTransfer(newPartner("100 USDC"), TransferFixtures.circle("5.00")), "circle-usdc");
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).until(() -> jdbc.sql("""
                select count(*) from transfers where id::text in (:ids) and status = 'SETTLED'
                    and settled_at is not null and return_watch_until is null""").param("ids", railOf.keySet())
                .query(Long.class).single() == railOf.size()); // the last look is sent as the watch ends

        railOf.forEach((id, rail) -> {
            List<ConsumerRecord<String, String>> looks = KafkaProbe.read(brokers, TransferRouter.instructionTopic(rail),
                    4, r -> id.equals(r.key()) && r.headers().lastHeader(RailGate.RECHECK_HEADER) != null);
            assertThat(looks).as("looks of the watch at %s", rail).hasSizeGreaterThanOrEqualTo(3);
            List<ConsumerRecord<String, String>> results = KafkaProbe.read(brokers, RailGate.RESULTS_TOPIC, 2,
                    r -> id.equals(r.key()), Duration.ofSeconds(3));
            assertThat(results).as("results for the %s payout", rail).hasSize(1);
            assertThat(results.get(0).value()).contains("\"outcome\":\"SETTLED\"");
            // and a look only reads: the rail was asked to pay it once (its key: the id, compact for Pix and SPEI)
            String compact = id.replace("-", "").substring(0, 28).toUpperCase();
            JsonNode orders = call("GET", "/v1/ops/sandbox/" + sandbox(rail) + "/executions").asOps().send().json()
                    .get("orders_by_key");
            List<Integer> ordersOfIt = new ArrayList<>();
            orders.fields().forEachRemaining(key -> {
                if (key.getKey().replace("-", "").toUpperCase().contains(compact)) {
                    ordersOfIt.add(key.getValue().asInt());
                }
            });
            assertThat(ordersOfIt).as("orders of the %s payout", rail).containsExactly(1);
        });
    }

    private JsonNode settle(TestPartner partner, Map<String, Object> body, String rail, String currency, long minor) {
        CurrencyCode code = CurrencyCode.valueOf(currency);
        long railBefore = ledger.balance(AccountKey.rail(rail, code, AccountKind.SETTLEMENT));
        String id = createTransfer(partner, body);
        JsonNode settled = awaitFinal(partner, id);
        assertThat(settled.get("status").asText()).as(settled.toString()).isEqualTo("SETTLED");
        assertThat(settled.get("rail").asText()).isEqualTo(rail);
        assertThat(settled.get("history").findValuesAsText("to"))
                .containsExactly("ACCEPTED", "ROUTED", "SUBMITTED", "SETTLED");
        assertThat(ledger.balance(partner.account(code, AccountKind.IN_FLIGHT))).isZero();
        assertThat(ledger.balance(AccountKey.rail(rail, code, AccountKind.SETTLEMENT)) - railBefore).isEqualTo(minor);
        JsonNode executions = call("GET", "/v1/ops/sandbox/" + sandbox(rail) + "/executions").asOps().send().json();
        executions.get("by_key").forEach(count -> assertThat(count.asInt()).as("executions per key").isEqualTo(1));
        LedgerInvariants.assertHold(jdbc);
        return settled;
    }

    private JsonNode awaitFinal(TestPartner partner, String id) {
        JsonNode[] last = new JsonNode[1];
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> {
            last[0] = call("GET", "/v1/transfers/" + id).as(partner).send().json();
            return Map.of("SETTLED", 1, "FAILED", 1, "RETURNED", 1).containsKey(last[0].get("status").asText());
        });
        return last[0];
    }
}
