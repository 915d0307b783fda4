package io.railyard.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TemplateSandboxTest extends RailSandboxSupport {

    /** A fresh template rail per test: its own payouts, faults and counts. */
    private String rail;

    @BeforeEach
    void newRail() {
        rail = "acme-" + UUID.randomUUID().toString().substring(0, 8);
    }

    @Test
    void aPayoutIsPendingThenPaidOnceSettled() {
        faults(rail, Map.of("settle_after_ms", 3000));
        String key = key();

        Reply created = create(payout(key, "250.00", "EUR"));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        JsonNode body = created.json();
        assertThat(body.get("status").asText()).isEqualTo("PENDING");
        assertThat(body.get("idempotency_key").asText()).isEqualTo(key);
        assertThat(body.get("amount").asText()).isEqualTo("250.00");
        assertThat(body.at("/beneficiary/iban").asText()).isEqualTo("DE89370400440532013000");
        String id = body.get("id").asText();

        assertThat(status(id).json().get("status").asText()).isEqualTo("PENDING");
        await().atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(status(id).json().get("status").asText()).isEqualTo("PAID"));
        assertThat(executions(rail, key)).isEqualTo(1);
    }

    @Test
    void theSameKeyTwiceIsOnePayoutAndOneExecution() {
        String key = key();
        String first = create(payout(key, "1.00", "EUR")).json().get("id").asText();
        Reply again = create(payout(key, "1.00", "EUR"));

        assertThat(again.json().get("id").asText()).isEqualTo(first);
        assertThat(executions(rail, key)).isEqualTo(1);
        Reply otherCurrency = create(payout(key, "1.00", "GBP"));
        assertThat(otherCurrency.status()).isEqualTo(409);
        assertThat(otherCurrency.json().at("/error/code").asText()).isEqualTo("key_reused");
        assertThat(executions(rail).get("total").asInt()).isEqualTo(1);
    }

    @Test
    void invalidPayoutsAreRefusedAndNotExecuted() {
        Map<String, Map<String, Object>> invalid = Map.of(
                "idempotency_key", payout("bad key!", "1.00", "EUR"),
                "currency", payout(key(), "1.00", "eur"),
                "amount", payout(key(), "1.001", "EUR"),
                "beneficiary", with(payout(key(), "1.00", "EUR"), "beneficiary", Map.of()));
        invalid.forEach((field, body) -> {
            Reply reply = create(body);
            assertThat(reply.status()).as(field + " " + reply).isEqualTo(400);
            assertThat(reply.json().at("/error/field").asText()).isEqualTo(field);
        });
        assertThat(call("POST", "/sandbox/template/" + rail + "/payouts").json(payout(key(), "1.00", "EUR")).send()
                .status()).isEqualTo(401);
        assertThat(call("POST", "/sandbox/template/pix/payouts").header("X-Api-Key", "k")
                .json(payout(key(), "1.00", "EUR")).send().status()).as("built-in rails are not templates").isEqualTo(404);
        assertThat(executions(rail).get("total").asInt()).isZero();

        assertThat(create(payout(key(), "0.000001", "USDC")).status()).isEqualTo(201);
        assertThat(status("po_unknown").status()).isEqualTo(404);
    }

    @Test
    void theStatementListsPayoutsCreatedInTheRange() {
        String id = create(payout(key(), "5.00", "EUR")).json().get("id").asText();

        assertThat(find(statement(window("from", "to")), id).get("status").asText()).isEqualTo("PAID");
        assertThat(find(statement(pastWindow("from", "to")), id)).isNull();
    }

    @Test
    void failAndReturnRatesRejectAndLaterReverse() {
        faults(rail, Map.of("fail_rate", 1));
        String rejected = create(payout(key(), "5.00", "EUR")).json().get("id").asText();
        faults(rail, Map.of("return_rate", 1, "return_after_ms", 3000));
        String reversed = create(payout(key(), "6.00", "EUR")).json().get("id").asText();
        resetFaults(rail);

        assertThat(status(rejected).json().get("status").asText()).isEqualTo("REJECTED");
        assertThat(status(reversed).json().get("status").asText()).isEqualTo("PAID");
        await().atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(status(reversed).json().get("status").asText()).isEqualTo("REVERSED"));
    }

    @Test
    void driftAndDuplicateConfirmationsShowOnTheStatement() {
        faults(rail, Map.of("amount_drift_minor", -25, "duplicate_confirmation_rate", 1));
        String id = create(payout(key(), "5.00", "EUR")).json().get("id").asText();

        List<JsonNode> lines = StreamSupport.stream(statement(window("from", "to")).json().get("payouts")
                .spliterator(), false).filter(p -> p.get("id").asText().equals(id)).toList();
        assertThat(lines).hasSize(2).allSatisfy(line -> assertThat(line.get("amount").asText()).isEqualTo("4.75"));
        assertThat(status(id).json().get("amount").asText()).isEqualTo("5.00");
        assertThat(executions(rail).get("total").asInt()).isEqualTo(1);
    }

    @Test
    void errorsAndLostConfirmationsAreTransportFaults() {
        String paid = create(payout(key(), "1.00", "EUR")).json().get("id").asText();
        faults(rail, Map.of("error_rate", 1));
        String refused = key();
        assertThat(create(payout(refused, "1.00", "EUR")).status()).isEqualTo(503);
        assertThat(status(paid).status()).isEqualTo(503);
        assertThat(executions(rail, refused)).isZero();

        faults(rail, Map.of("lose_confirmation_rate", 1));
        String lost = key();
        assertThat(create(payout(lost, "1.00", "EUR")).status()).isEqualTo(500);
        assertThat(executions(rail, lost)).isEqualTo(1);
    }

    @Test
    void latencyDelaysTheAnswer() {
        faults(rail, Map.of("latency_ms", 400));
        long start = System.nanoTime();
        assertThat(create(payout(key(), "1.00", "EUR")).status()).isEqualTo(201);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(400));
    }

    @Test
    void aTimeoutExecutesThePayoutButAnswersTooLate() throws Exception {
        faults(rail, Map.of("timeout_rate", 1));
        String key = key();
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/sandbox/template/" + rail
                        + "/payouts")).timeout(Duration.ofSeconds(1)).header("X-Api-Key", "k")
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(payout(key, "1.00", "EUR")))).build();

        assertThatThrownBy(() -> HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString()))
                .isInstanceOf(HttpTimeoutException.class);
        assertThat(executions(rail, key)).isEqualTo(1);
    }

    @Test
    void faultsBelongToOneRail() {
        faults(rail, Map.of("error_rate", 1));
        String other = rail + "-other";
        Reply reply = call("POST", "/sandbox/template/" + other + "/payouts").header("X-Api-Key", "k")
                .json(payout(key(), "1.00", "EUR")).send();
        assertThat(reply.status()).isEqualTo(201);
        assertThat(executions(rail).get("total").asInt()).isZero();
        assertThat(executions(other).get("total").asInt()).isEqualTo(1);
    }

    @Test
    void theOpsEndpointsAreForOpsOnly() {
        TestPartner partner = newPartner();
        assertThat(call("GET", "/v1/ops/sandbox/" + rail + "/executions").as(partner).send().status()).isEqualTo(403);
        assertThat(call("DELETE", "/v1/ops/sandbox/" + rail + "/faults").send().status()).isEqualTo(401);
    }

    private static String key() {
        return "tr_" + UUID.randomUUID();
    }

    private Reply create(Map<String, Object> body) {
        return call("POST", "/sandbox/template/" + rail + "/payouts").header("X-Api-Key", "k").json(body).send();
    }

    private Reply status(String id) {
        return call("GET", "/sandbox/template/" + rail + "/payouts/" + id).header("X-Api-Key", "k").send();
    }

    private Reply statement(String query) {
        return call("GET", "/sandbox/template/" + rail + "/payouts?" + query).header("X-Api-Key", "k").send();
    }

    private static JsonNode find(Reply statement, String id) {
        return StreamSupport.stream(statement.json().get("payouts").spliterator(), false)
                .filter(p -> p.get("id").asText().equals(id)).findFirst().orElse(null);
    }

    private static Map<String, Object> payout(String key, String amount, String currency) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("idempotency_key", key);
        body.put("amount", amount);
        body.put("currency", currency);
        body.put("beneficiary", Map.of("name", "Ada Lovelace", "iban", "DE89370400440532013000"));
        return body;
    }

    private static Map<String, Object> with(Map<String, Object> body, String field, Object value) {
        body.put(field, value);
        return body;
    }
}
