package io.railyard.batch;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.railyard.HubTest;
import io.railyard.ledger.AccountKind;
import io.railyard.ledger.CurrencyCode;
import io.railyard.ledger.LedgerInvariants;
import io.railyard.transfer.TransferFixtures;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Batch validation and acceptance through the API (completion against the sandboxes: BatchSettlementTest). */
class BatchApiTest extends HubTest {

    @Test
    void anAtomicBatchWithOneBadItemIsRefusedWholeWithEveryFaultListed() {
        TestPartner partner = newPartner("1000 BRL", "1000 MXN");
        List<Map<String, Object>> items = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            items.add(TransferFixtures.pix("1.00"));
        }
        items.get(1).put("amount", "-3");
        items.get(3).put("destination", Map.of("currency", "MXN", "clabe", "032180000118359718", "name", "J"));
        items.get(4).put("reference", items.get(0).get("reference"));

        Reply reply = batch(partner, Map.of("items", items));

        assertThat(reply.status()).as(reply.toString()).isEqualTo(422);
        assertThat(reply.json().get("code").asText()).isEqualTo("batch_invalid");
        assertThat(reply.json().get("errors").findValuesAsText("field")).contains("amount", "destination.clabe",
                "reference");
        assertThat(reply.json().get("errors").findValues("index")).extracting(JsonNode::asInt).contains(1, 3, 4);
        assertThat(transfersOf(partner)).isZero();
        assertThat(ledger.balance(partner.account(CurrencyCode.BRL, AccountKind.IN_FLIGHT))).isZero();
    }

    @Test
    void aPartialBatchAcceptsTheValidItemsAndRecordsTheOthers() {
        TestPartner partner = newPartner("1000 BRL");
        List<Map<String, Object>> items = new ArrayList<>(List.of(TransferFixtures.pix("2.00"),
                TransferFixtures.pix("3.00"), TransferFixtures.pix("4.00")));
        items.get(1).put("currency", "EUR");

        Reply reply = batch(partner, Map.of("mode", "partial", "items", items));

        assertThat(reply.status()).as(reply.toString()).isEqualTo(201);
        assertThat(reply.json().at("/counts/INVALID").asInt()).isEqualTo(1);
        assertThat(reply.json().at("/progress/total").asInt()).isEqualTo(3);
        assertThat(reply.json().at("/totals/BRL/accepted").asText()).isEqualTo("6.00");
        assertThat(transfersOf(partner)).isEqualTo(2);
        assertThat(ledger.balance(partner.account(CurrencyCode.BRL, AccountKind.AVAILABLE))).isEqualTo(99_400);
        String id = reply.json().get("id").asText();
        JsonNode invalid = call("GET", "/v1/transfers/batch/" + id + "/items?status=INVALID").as(partner).send().json();
        assertThat(invalid.get("data")).hasSize(1);
        assertThat(invalid.get("data").get(0).get("index").asInt()).isEqualTo(1);
        assertThat(invalid.get("data").get(0).get("errors").findValuesAsText("field")).contains("currency");
    }

    @Test
    void theBalanceMustCoverTheBatchTotal() {
        TestPartner partner = newPartner("5 BRL");
        Reply reply = batch(partner, Map.of("items", List.of(TransferFixtures.pix("3.00"), TransferFixtures.pix("3.00"))));
        assertThat(reply.status()).isEqualTo(422);
        assertThat(reply.json().get("errors").get(0).get("code").asText()).isEqualTo("insufficient_funds");
        assertThat(reply.json().get("errors").get(0).get("index").asInt()).isEqualTo(1);
        assertThat(transfersOf(partner)).isZero();
    }

    @Test
    void csvRowsAreReadWithBomQuotesAndReportedByLine() {
        TestPartner partner = newPartner("10000 BRL", "10000 MXN");
        String csv = "\uFEFFreference,amount,currency,destination_currency,clabe,name,pix_key\n"
                + "r-1,10.50,BRL,BRL,,,52998224725\n"
                + "r-2,20.00,MXN,MXN,032180000118359719,\"Pérez, Juan\",\n"
                + "r-3,1O.00,BRL,BRL,,,52998224725\n";
        Reply refused = call("POST", "/v1/transfers/batch").as(partner)
                .header("Idempotency-Key", UUID.randomUUID().toString()).body("text/csv", csv).send();
        assertThat(refused.status()).as(refused.toString()).isEqualTo(422);
        JsonNode error = refused.json().get("errors").get(0);
        assertThat(error.get("line").asInt()).isEqualTo(4);
        assertThat(error.get("field").asText()).isEqualTo("amount");

        Reply accepted = call("POST", "/v1/transfers/batch?mode=partial").as(partner)
                .header("Idempotency-Key", UUID.randomUUID().toString()).body("text/csv", csv).send();
        assertThat(accepted.status()).as(accepted.toString()).isEqualTo(201);
        assertThat(accepted.json().get("source").asText()).isEqualTo("csv");
        assertThat(accepted.json().at("/totals/MXN/accepted").asText()).isEqualTo("20.00");
        String items = call("GET", "/v1/transfers/batch/" + accepted.json().get("id").asText() + "/items?format=csv")
                .as(partner).send().body();
        assertThat(items.lines().findFirst().orElseThrow()).startsWith("index,line,status,reference");
        assertThat(items.lines().count()).isEqualTo(4);
    }

    @Test
    void emptyTooLargeAndWrongContentTypeAreClear4xx() {
        TestPartner partner = newPartner("1000 BRL");
        assertThat(batch(partner, Map.of("items", List.of())).json().get("code").asText()).isEqualTo("batch_empty");
        List<Map<String, Object>> many = new ArrayList<>();
        for (int i = 0; i < 1001; i++) {
            many.add(TransferFixtures.pix("0.01"));
        }
        assertThat(batch(partner, Map.of("items", many)).json().get("code").asText()).isEqualTo("batch_too_large");
        Reply xml = call("POST", "/v1/transfers/batch").as(partner).header("Idempotency-Key", "k-" + UUID.randomUUID())
                .body("application/xml", "<batch/>").send();
        assertThat(xml.status()).isEqualTo(415);
    }

    @Test
    void theTemplateCsvIsDownloadableAndAcceptedAsIs() {
        TestPartner partner = newPartner("10000 BRL", "10000 MXN", "10000 USDC");
        Reply template = call("GET", "/v1/transfers/batch/template").as(partner).send();
        assertThat(template.status()).isEqualTo(200);
        assertThat(template.contentType()).startsWith("text/csv");
        Reply accepted = call("POST", "/v1/transfers/batch").as(partner)
                .header("Idempotency-Key", UUID.randomUUID().toString()).body("text/csv", template.body()).send();
        assertThat(accepted.status()).as(accepted.toString()).isEqualTo(201);
        assertThat(accepted.json().at("/progress/total").asInt()).isEqualTo(3);
    }

    @Test
    void anotherPartnersBatchIsNotFound() {
        TestPartner alice = newPartner("100 BRL");
        TestPartner bob = newPartner("100 BRL");
        String id = batch(alice, Map.of("items", List.of(TransferFixtures.pix("1.00")))).json().get("id").asText();
        assertThat(call("GET", "/v1/transfers/batch/" + id).as(bob).send().status()).isEqualTo(404);
        assertThat(call("GET", "/v1/transfers/batch/" + id + "/items").as(bob).send().status()).isEqualTo(404);
        assertThat(call("POST", "/v1/transfers/batch/" + id + "/retry").as(bob)
                .header("Idempotency-Key", UUID.randomUUID().toString()).send().status()).isEqualTo(404);
        LedgerInvariants.assertHold(jdbc);
    }

    private Reply batch(TestPartner partner, Map<String, Object> body) {
        return call("POST", "/v1/transfers/batch").as(partner).header("Idempotency-Key", UUID.randomUUID().toString())
                .json(body).send();
    }

    private long transfersOf(TestPartner partner) {
        return jdbc.sql("select count(*) from transfers where partner_id = ?").param(partner.id())
                .query(Long.class).single();
    }
}
