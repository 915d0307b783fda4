package io.railyard.transfer;

import static io.railyard.transfer.TransferFixtures.acp;
import static io.railyard.transfer.TransferFixtures.ap2;
import static io.railyard.transfer.TransferFixtures.x402;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.railyard.HubTest;
import io.railyard.KafkaProbe;
import io.railyard.ledger.AccountKind;
import io.railyard.ledger.CurrencyCode;
import io.railyard.ledger.LedgerInvariants;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Value;

class TransferApiTest extends HubTest {

    @Value("${camel.component.kafka.brokers}")
    String brokers;

    @Test
    void transfersOfEveryProtocolLandOnTheRightRailTopicWithTheirMetadataIntact() throws Exception {
        TestPartner partner = newPartner("10000 BRL", "10000 MXN", "10000 USDC", "10000 USD");
        Map<String, Map<String, Object>> byRail = Map.of(
                "pix", x402(TransferFixtures.pix("10.00")),
                "spei", ap2(TransferFixtures.spei("20.00")),
                "base-usdc", acp(TransferFixtures.base("1.5")),
                "circle-usdc", TransferFixtures.circle("2.25"));
        Map<String, String> idByRail = new HashMap<>();
        for (var entry : byRail.entrySet()) {
            Map<String, Object> body = new HashMap<>(entry.getValue());
            body.put("metadata", Map.of("order", "o-" + entry.getKey()));
            Reply reply = send(partner, body);
            assertThat(reply.status()).as(reply.toString()).isEqualTo(201);
            assertThat(reply.json().get("status").asText()).isEqualTo("ACCEPTED");
            idByRail.put(entry.getKey(), reply.json().get("id").asText());
        }
        for (var entry : idByRail.entrySet()) {
            String rail = entry.getKey();
            // the routed instruction; a slow machine may already show the rail's recheck of it (same key, no data)
            List<ConsumerRecord<String, String>> instructions = KafkaProbe.read(brokers,
                    "railyard.rail." + rail + ".instruction.v1", 1, r -> r.key().equals(entry.getValue())
                            && r.headers().lastHeader("railyard-recheck") == null);
            assertThat(instructions).as(rail).hasSize(1);
            JsonNode data = JSON.readTree(instructions.get(0).value()).get("data");
            assertThat(data.get("status").asText()).isEqualTo("ROUTED");
            assertThat(data.get("rail").asText()).isEqualTo(rail);
            assertThat(data.get("metadata").get("order").asText()).isEqualTo("o-" + rail);
            Map<String, Object> sent = byRail.get(rail);
            if (sent.containsKey("protocol_metadata")) {
                assertThat(JSON.convertValue(data.get("protocol_metadata"), Map.class))
                        .isEqualTo(JSON.convertValue(sent.get("protocol_metadata"), Map.class));
            }
        }
        JsonNode routed = call("GET", "/v1/transfers/" + idByRail.get("spei")).as(partner).send().json();
        assertThat(routed.get("routing_reason").asText()).isEqualTo("rule mxn-spei");
        assertThat(routed.get("history").findValuesAsText("to")).startsWith("ACCEPTED", "ROUTED");
        LedgerInvariants.assertHold(jdbc);
    }

    @Test
    void acceptingHoldsTheFundsInTheSameTransaction() {
        TestPartner partner = newPartner("100 BRL");
        Reply reply = send(partner, TransferFixtures.pix("30.00"));
        assertThat(reply.status()).isEqualTo(201);
        assertThat(ledger.balance(partner.account(CurrencyCode.BRL, AccountKind.AVAILABLE))).isEqualTo(7000);
        assertThat(ledger.balance(partner.account(CurrencyCode.BRL, AccountKind.IN_FLIGHT))).isEqualTo(3000);
        assertThat(jdbc.sql("select count(*) from outbox_events where event_key = ? and event_type = 'transfer.accepted'")
                .param(reply.json().get("id").asText()).query(Long.class).single()).isEqualTo(1);
    }

    @Test
    void anAcceptedTransfersRowsHaveTimeOrderedIds() {
        TestPartner partner = newPartner("100 BRL");
        String id = send(partner, TransferFixtures.pix("1.00")).json().get("id").asText();
        UUID entry = jdbc.sql("select id from journal_entries where kind = 'transfer.hold' and reference = ?")
                .param(id).query(UUID.class).single();
        UUID event = jdbc.sql("select event_id from outbox_events where event_key = ? and event_type = ?")
                .params(id, "transfer.accepted").query(UUID.class).single();
        assertThat(List.of(UUID.fromString(id), entry, event)).as("UUIDv7 (RowIds)")
                .allSatisfy(uuid -> assertThat(uuid.version()).isEqualTo(7));
    }

    @Test
    void insufficientFundsIs422AndHoldsNothing() {
        TestPartner partner = newPartner("10 MXN");
        long events = eventsNaming(partner);
        Reply reply = send(partner, TransferFixtures.spei("10.01"));
        assertThat(reply.status()).isEqualTo(422);
        assertThat(reply.json().get("code").asText()).isEqualTo("insufficient_funds");
        assertThat(ledger.balance(partner.account(CurrencyCode.MXN, AccountKind.AVAILABLE))).isEqualTo(1000);
        assertThat(transfersOf(partner)).isZero();
        assertThat(eventsNaming(partner)).as("the refused transfer's accepted event is undone with it")
                .isEqualTo(events);
    }

    private long eventsNaming(TestPartner partner) {
        return jdbc.sql("select count(*) from outbox_events where strpos(payload::text, ?) > 0")
                .param(partner.id().toString()).query(Long.class).single();
    }

    @Test
    void aConversionUsesTheRateTableWithItsSpreadAndStoresTheQuote() {
        TestPartner partner = newPartner("1000 USD");
        Map<String, Object> body = TransferFixtures.pix("100.00");
        body.put("currency", "USD");
        JsonNode transfer = send(partner, body).json();
        // USD→BRL mid = 1 / 0.1852 = 5.3995680..., less 50 bps = 5.37257...; 100 USD → 537.25 BRL (rounded down)
        assertThat(transfer.at("/destination/amount").asText()).isEqualTo("537.25");
        assertThat(transfer.at("/quote/spread_bps").asInt()).isEqualTo(50);
        assertThat(transfer.at("/quote/mid_rate").asText()).startsWith("5.39956803");
        assertThat(ledger.balance(partner.account(CurrencyCode.USD, AccountKind.IN_FLIGHT))).isEqualTo(10000);
    }

    @Test
    void badDestinationsAndProtocolMetadataAre422WithTheField() {
        TestPartner partner = newPartner("1000 MXN", "1000 USDC", "1000 BRL");
        Map<String, Object> badClabe = TransferFixtures.spei("1");
        badClabe.put("destination", Map.of("currency", "MXN", "clabe", "032180000118359718", "name", "J"));
        assertField(send(partner, badClabe), "destination.clabe");

        Map<String, Object> badChecksum = TransferFixtures.base("1");
        badChecksum.put("destination", Map.of("currency", "USDC", "network", "base",
                "address", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"));
        assertField(send(partner, badChecksum), "destination.address");

        Map<String, Object> unknownProtocol = TransferFixtures.pix("1");
        unknownProtocol.put("protocol", "carrier-pigeon");
        assertField(send(partner, unknownProtocol), "protocol");

        Map<String, Object> badNetwork = x402(TransferFixtures.pix("1"));
        badNetwork.put("protocol_metadata", Map.of("scheme", "exact", "network", "base",
                "payer", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359", "payment_id", "pay_1"));
        assertField(send(partner, badNetwork), "protocol_metadata.network");

        Map<String, Object> mandateMismatch = ap2(TransferFixtures.pix("5.00"));
        mandateMismatch.put("amount", "6.00");
        assertField(send(partner, mandateMismatch), "protocol_metadata.amount");

        Map<String, Object> acpWithoutToken = TransferFixtures.pix("1");
        acpWithoutToken.put("protocol", "acp");
        acpWithoutToken.put("protocol_metadata", Map.of("checkout_session_id", "cs_123456"));
        assertField(send(partner, acpWithoutToken), "protocol_metadata.delegated_payment_token");

        Map<String, Object> wrongRailField = TransferFixtures.pix("1");
        wrongRailField.put("destination", Map.of("currency", "BRL", "pix_key", "52998224725", "clabe", "1"));
        assertField(send(partner, wrongRailField), "destination.clabe");

        Map<String, Object> tooPrecise = TransferFixtures.pix("1.001");
        assertField(send(partner, tooPrecise), "amount");

        assertThat(transfersOf(partner)).isZero();
        assertThat(ledger.balance(partner.account(CurrencyCode.BRL, AccountKind.IN_FLIGHT))).isZero();
    }

    @Test
    void anotherPartnersTransferIsNotFoundAndNotListed() {
        TestPartner alice = newPartner("100 BRL");
        TestPartner bob = newPartner("100 BRL");
        String id = send(alice, TransferFixtures.pix("1.00")).json().get("id").asText();
        assertThat(call("GET", "/v1/transfers/" + id).as(bob).send().status()).isEqualTo(404);
        assertThat(call("POST", "/v1/transfers/" + id + "/cancel").as(bob).send().status()).isEqualTo(404);
        assertThat(call("GET", "/v1/transfers").as(bob).send().json().get("data")).isEmpty();
        assertThat(call("GET", "/v1/transfers/" + id).as(alice).send().status()).isEqualTo(200);
    }

    @Test
    void listingPagesByCursorAndFilters() {
        TestPartner partner = newPartner("100 BRL", "100 MXN");
        for (int i = 0; i < 5; i++) {
            send(partner, TransferFixtures.pix("1.00"));
        }
        send(partner, TransferFixtures.spei("1.00"));
        JsonNode first = call("GET", "/v1/transfers?limit=4").as(partner).send().json();
        assertThat(first.get("data")).hasSize(4);
        JsonNode second = call("GET", "/v1/transfers?limit=4&cursor=" + first.get("next_cursor").asText())
                .as(partner).send().json();
        assertThat(second.get("data")).hasSize(2);
        assertThat(second.has("next_cursor")).isFalse();
        assertThat(first.get("data").findValuesAsText("id")).doesNotContainAnyElementsOf(
                second.get("data").findValuesAsText("id"));
        await().atMost(Duration.ofSeconds(20)).until(() -> call("GET", "/v1/transfers?rail=spei").as(partner).send()
                .json().get("data").size() == 1);
        assertThat(call("GET", "/v1/transfers?status=bogus").as(partner).send().status()).isEqualTo(400);
        assertThat(call("GET", "/v1/transfers?cursor=garbage").as(partner).send().status()).isEqualTo(400);
    }

    @Test
    void cancellingBeforeSubmissionReleasesTheHoldAndAfterIsRefused() {
        TestPartner partner = newPartner("50 BRL");
        String id = send(partner, TransferFixtures.pix("20.00")).json().get("id").asText();
        Reply cancelled = call("POST", "/v1/transfers/" + id + "/cancel").as(partner).send();
        assertThat(cancelled.status()).as(cancelled.toString()).isEqualTo(200);
        assertThat(cancelled.json().get("status").asText()).isEqualTo("CANCELLED");
        assertThat(ledger.balance(partner.account(CurrencyCode.BRL, AccountKind.AVAILABLE))).isEqualTo(5000);
        assertThat(ledger.balance(partner.account(CurrencyCode.BRL, AccountKind.IN_FLIGHT))).isZero();

        Reply again = call("POST", "/v1/transfers/" + id + "/cancel").as(partner).send();
        assertThat(again.status()).isEqualTo(409);
        assertThat(again.json().get("code").asText()).isEqualTo("not_cancellable");
        assertThat(ledger.balance(partner.account(CurrencyCode.BRL, AccountKind.AVAILABLE))).isEqualTo(5000);
        LedgerInvariants.assertHold(jdbc);
    }

    private Reply send(TestPartner partner, Map<String, Object> body) {
        return call("POST", "/v1/transfers").as(partner).header("Idempotency-Key", UUID.randomUUID().toString())
                .json(body).send();
    }

    private static void assertField(Reply reply, String field) {
        assertThat(reply.status()).as(reply.toString()).isEqualTo(422);
        assertThat(reply.json().get("code").asText()).isEqualTo("validation_failed");
        assertThat(reply.json().get("field").asText()).as(reply.toString()).isEqualTo(field);
    }

    private long transfersOf(TestPartner partner) {
        return jdbc.sql("select count(*) from transfers where partner_id = ?").param(partner.id())
                .query(Long.class).single();
    }
}
