package io.railyard.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.railyard.HubTest;
import io.railyard.ledger.AccountKind;
import io.railyard.ledger.CurrencyCode;
import io.railyard.ledger.LedgerInvariants;
import io.railyard.transfer.TransferFixtures;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.processor.aggregate.jdbc.JdbcAggregationRepository;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;

/** Batches through the pipeline to completion against the sandboxes. */
class BatchSettlementTest extends HubTest {

    @Autowired
    CamelContext camel;
    @Autowired
    @Qualifier("batchCompletionRepository")
    JdbcAggregationRepository completionRepository;

    @Test
    void aThousandItemBatchToMixedRailsCompletesWithOneCompletionEvent() {
        TestPartner partner = newPartner("10000 BRL", "10000 MXN", "10000 USDC");
        List<Function<String, Map<String, Object>>> kinds = List.of(TransferFixtures::pix, TransferFixtures::spei,
                TransferFixtures::circle, TransferFixtures::base);
        List<Map<String, Object>> items = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            Map<String, Object> item = kinds.get(i % 4).apply("1.00");
            item.put("reference", "b-" + i);
            items.add(item);
        }
        Reply created = call("POST", "/v1/transfers/batch").as(partner)
                .header("Idempotency-Key", UUID.randomUUID().toString()).json(Map.of("items", items)).send();
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        String id = created.json().get("id").asText();

        JsonNode done = awaitStatus(partner, id, "COMPLETED", Duration.ofMinutes(4));
        assertThat(done.at("/counts/SETTLED").asInt()).isEqualTo(1000);
        assertThat(done.at("/progress/done").asInt()).isEqualTo(1000);
        assertThat(done.at("/totals/BRL/settled").asText()).isEqualTo("250.00");
        await().atMost(Duration.ofSeconds(30)).until(() -> completionEvents(id) == 1);
        await("the completed aggregate was confirmed, not left to be recovered").atMost(Duration.ofSeconds(30))
                .until(() -> completionRepository.scan(camel).stream()
                        .noneMatch(exchangeId -> id.equals(completionRepository.recover(camel, exchangeId)
                                .getIn().getBody(String.class))));
        assertThat(ledger.balance(partner.account(CurrencyCode.USDC, AccountKind.AVAILABLE)))
                .isEqualTo(10_000_000_000L - 500_000_000L); // 250 Circle + 250 Base items of 1 USDC
        LedgerInvariants.assertHold(jdbc);
    }

    @Test
    void aRetryAfterRailFailuresResubmitsOnlyTheFailedItemsAndSettlesThem() {
        TestPartner partner = newPartner("100 BRL", "100 MXN");
        call("PUT", "/v1/ops/sandbox/pix/faults").asOps().json(Map.of("fail_rate", 1.0)).send();
        String id;
        try {
            Reply created = call("POST", "/v1/transfers/batch").as(partner)
                    .header("Idempotency-Key", UUID.randomUUID().toString())
                    .json(Map.of("items", List.of(TransferFixtures.pix("1.00"), TransferFixtures.pix("2.00"),
                            TransferFixtures.spei("3.00")))).send();
            id = created.json().get("id").asText();
            JsonNode partial = awaitStatus(partner, id, "COMPLETED_WITH_FAILURES", Duration.ofMinutes(1));
            assertThat(partial.at("/counts/FAILED").asInt()).isEqualTo(2);
            assertThat(partial.at("/counts/SETTLED").asInt()).isEqualTo(1);
        } finally {
            call("DELETE", "/v1/ops/sandbox/pix/faults").asOps().send();
        }
        String key = UUID.randomUUID().toString();
        Reply retried = call("POST", "/v1/transfers/batch/" + id + "/retry").as(partner).header("Idempotency-Key", key)
                .send();
        assertThat(retried.json().get("retried_items").asInt()).isEqualTo(2);
        Reply replayed = call("POST", "/v1/transfers/batch/" + id + "/retry").as(partner).header("Idempotency-Key", key)
                .send();
        assertThat(replayed.header("Idempotent-Replayed")).isEqualTo("true");

        JsonNode done = awaitStatus(partner, id, "COMPLETED", Duration.ofMinutes(1));
        assertThat(done.at("/counts/SETTLED").asInt()).isEqualTo(3);
        assertThat(jdbc.sql("select count(*) from batch_item_attempts where batch_id = ?::uuid").param(id)
                .query(Long.class).single()).isEqualTo(2);
        assertThat(ledger.balance(partner.account(CurrencyCode.MXN, AccountKind.AVAILABLE)))
                .as("the settled SPEI item was not paid again").isEqualTo(9700);
        assertThat(ledger.balance(partner.account(CurrencyCode.BRL, AccountKind.AVAILABLE))).isEqualTo(9700);
        LedgerInvariants.assertHold(jdbc);
    }

    @Test
    void theCompletionAggregatorKeepsItsStateInPostgresAndRecoversIt() {
        // what the aggregate EIP does with the repository: store a new aggregate, update it, complete it
        String batchId = UUID.randomUUID().toString();
        Exchange first = new DefaultExchange(camel);
        first.getIn().setBody(batchId);
        completionRepository.add(camel, batchId, null, first);
        Exchange stored = completionRepository.get(camel, batchId);
        assertThat(stored.getIn().getBody(String.class)).isEqualTo(batchId);
        completionRepository.add(camel, batchId, stored, stored.copy());
        assertThat(completionRepository.getKeys()).contains(batchId);
        completionRepository.remove(camel, batchId, completionRepository.get(camel, batchId));
        assertThat(completionRepository.get(camel, batchId)).isNull();
        assertThat(completionRepository.scan(camel)).isNotEmpty(); // completed, awaiting confirmation: recoverable
    }

    @Test
    void aThousandRowCsvFileUploadedAsMultipartCompletes() throws Exception {
        TestPartner partner = newPartner("1000 BRL", "1000 MXN");
        // UTF-8 with a BOM, quoted names holding commas, Pix and SPEI rows alternating
        StringBuilder csv = new StringBuilder("\uFEFFreference,amount,currency,destination_currency,"
                + "destination_country,name,pix_key,clabe\n");
        for (int i = 0; i < 1000; i++) {
            csv.append(i % 2 == 0 ? "csv-" + i + ",0.50,BRL,BRL,BR,\"Silva, Maria\",52998224725,\n"
                    : "csv-" + i + ",0.75,MXN,MXN,MX,\"Pérez, Juan\",," + TransferFixtures.CLABE + "\n");
        }
        String boundary = "railyard" + UUID.randomUUID();
        String body = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"batch.csv\"\r\n"
                + "Content-Type: text/csv\r\n\r\n" + csv + "\r\n--" + boundary + "--\r\n";
        HttpResponse<String> reply = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://localhost:" + port + "/v1/transfers/batch"))
                .header("Authorization", partner.bearer()).header("Idempotency-Key", UUID.randomUUID().toString())
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(reply.statusCode()).as(reply.body()).isEqualTo(201);
        JsonNode created = JSON.readTree(reply.body());
        assertThat(created.at("/totals/BRL/accepted").asText()).isEqualTo("250.00");

        JsonNode done = awaitStatus(partner, created.get("id").asText(), "COMPLETED", Duration.ofMinutes(4));
        assertThat(done.at("/counts/SETTLED").asInt()).isEqualTo(1000);
        assertThat(done.at("/totals/MXN/settled").asText()).isEqualTo("375.00");
        assertThat(ledger.balance(partner.account(CurrencyCode.BRL, AccountKind.AVAILABLE))).isEqualTo(75_000);
        LedgerInvariants.assertHold(jdbc);
    }

    private JsonNode awaitStatus(TestPartner partner, String id, String status, Duration within) {
        JsonNode[] last = new JsonNode[1];
        await().atMost(within).pollInterval(Duration.ofMillis(500)).until(() -> {
            last[0] = call("GET", "/v1/transfers/batch/" + id).as(partner).send().json();
            return status.equals(last[0].get("status").asText());
        });
        return last[0];
    }

    private long completionEvents(String batchId) {
        return jdbc.sql("select count(*) from outbox_events where event_type = 'batch.completed' and event_key = ?")
                .param(batchId).query(Long.class).single();
    }
}
