package io.railyard.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class CircleSandboxTest extends RailSandboxSupport {

    private static final String RAIL = "circle";
    private static final String PAYOUTS = "/sandbox/circle/v1/payouts";

    @BeforeEach
    @AfterEach
    void noFaults() {
        resetFaults(RAIL);
    }

    @Test
    void aPayoutIsPendingThenCompleteOnceSettled() {
        faults(RAIL, Map.of("settle_after_ms", 3000));
        String key = UUID.randomUUID().toString();

        Reply created = create(payout(key, "12.5", "USD"));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        JsonNode data = created.json().get("data");
        assertThat(data.get("status").asText()).isEqualTo("pending");
        assertThat(data.get("id").asText()).matches("[0-9a-f-]{36}");
        assertThat(data.at("/amount/amount").asText()).isEqualTo("12.50");
        assertThat(data.at("/amount/currency").asText()).isEqualTo("USD");
        assertThat(data.at("/destination/type").asText()).isEqualTo("wire");
        assertThat(data.get("createDate").asText()).endsWith("Z");

        String id = data.get("id").asText();
        assertThat(status(id).json().at("/data/status").asText()).isEqualTo("pending");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            JsonNode settled = status(id).json().get("data");
            assertThat(settled.get("status").asText()).isEqualTo("complete");
            assertThat(settled.has("errorCode")).isFalse();
            assertThat(settled.get("updateDate").asText()).isGreaterThan(settled.get("createDate").asText());
        });
        assertThat(executions(RAIL, key)).isEqualTo(1);
    }

    @Test
    void theSameKeyTwiceIsOnePayoutAndOneExecution() {
        String key = UUID.randomUUID().toString();
        Reply first = create(payout(key, "40.00", "USD"));
        Reply again = create(payout(key, "40.00", "USD"));

        assertThat(again.status()).isEqualTo(201);
        assertThat(again.json().at("/data/id").asText()).isEqualTo(first.json().at("/data/id").asText());
        assertThat(again.json().at("/data/status").asText()).isEqualTo("pending");
        assertThat(executions(RAIL, key)).isEqualTo(1);

        Reply otherAmount = create(payout(key, "41.00", "USD"));
        assertThat(otherAmount.status()).as(otherAmount.toString()).isEqualTo(409);
        assertThat(executions(RAIL, key)).isEqualTo(1);
    }

    @Test
    void invalidPayoutsAreRefusedInCirclesShapeAndNotExecuted() {
        int before = executions(RAIL).get("total").asInt();
        String key = UUID.randomUUID().toString();
        List<Map<String, Object>> invalid = List.of(
                payout("not-a-uuid", "1.00", "USD"),
                payout(key, "1.005", "USD"),
                payout(key, "0.1234567", "USDC"),
                payout(key, "0", "USD"),
                payout(key, "-3.00", "USD"),
                payout(key, "3", "EUR"),
                with(payout(key, "1.00", "USD"), "destination", Map.of("type", "card", "id", "x")),
                with(payout(key, "1.00", "USD"), "source", Map.of("type", "bank", "id", "x")),
                with(payout(key, "1.00", "USD"), "metadata", "text"));
        for (Map<String, Object> body : invalid) {
            Reply reply = create(body);
            assertThat(reply.status()).as(body + " → " + reply).isEqualTo(400);
            assertThat(reply.json().get("code").asInt()).isEqualTo(2);
            assertThat(reply.json().get("message").asText()).startsWith("Invalid entity.");
        }
        Reply malformed = call("POST", PAYOUTS).header("Authorization", "Bearer k").json("{not json").send();
        assertThat(malformed.status()).isEqualTo(400);
        assertThat(malformed.json().get("code").asInt()).isEqualTo(2);

        assertThat(call("POST", PAYOUTS).json(payout(key, "1.00", "USD")).send().status()).isEqualTo(401);
        assertThat(call("POST", PAYOUTS).header("Authorization", "Basic abc").json(payout(key, "1.00", "USD")).send()
                .status()).isEqualTo(401);
        assertThat(call("GET", PAYOUTS + "/" + UUID.randomUUID()).send().status()).isEqualTo(401);
        assertThat(executions(RAIL).get("total").asInt()).isEqualTo(before);

        Reply usdc = create(payout(key, "0.123456", "USDC"));
        assertThat(usdc.status()).as(usdc.toString()).isEqualTo(201);
        assertThat(usdc.json().at("/data/amount/amount").asText()).isEqualTo("0.123456");
    }

    @Test
    void anUnknownPayoutIs404() {
        Reply reply = status(UUID.randomUUID().toString());
        assertThat(reply.status()).isEqualTo(404);
        assertThat(reply.json().get("code").asInt()).isEqualTo(404);
    }

    @Test
    void theStatementListsPayoutsCreatedInTheRange() {
        String id = create(payout(UUID.randomUUID().toString(), "7.00", "USDC")).json().at("/data/id").asText();

        Reply statement = statement(window("from", "to"));
        assertThat(statement.status()).isEqualTo(200);
        assertThat(find(statement, id)).isNotNull();
        assertThat(find(statement, id).get("status").asText()).isEqualTo("complete");
        assertThat(find(statement(pastWindow("from", "to")), id)).isNull();
        assertThat(statement("from=yesterday").status()).isEqualTo(400);
    }

    @Test
    void errorRateAnswers503AndExecutesNothing() {
        String key = UUID.randomUUID().toString();
        String id = create(payout(UUID.randomUUID().toString(), "1.00", "USD")).json().at("/data/id").asText();
        faults(RAIL, Map.of("error_rate", 1));

        assertThat(create(payout(key, "1.00", "USD")).status()).isEqualTo(503);
        assertThat(status(id).status()).isEqualTo(503);
        assertThat(executions(RAIL, key)).isZero();
    }

    @Test
    void failRateFailsThePayoutForGood() {
        faults(RAIL, Map.of("fail_rate", 1));
        String id = create(payout(UUID.randomUUID().toString(), "5.00", "USD")).json().at("/data/id").asText();
        resetFaults(RAIL);

        JsonNode failed = status(id).json().get("data");
        assertThat(failed.get("status").asText()).isEqualTo("failed");
        assertThat(failed.get("errorCode").asText()).isEqualTo("transaction_denied");
        assertThat(status(id).json().at("/data/status").asText()).as("decided once, at creation").isEqualTo("failed");
    }

    @Test
    void returnRateReturnsThePayoutAfterItSettled() {
        faults(RAIL, Map.of("return_rate", 1, "return_after_ms", 3000));
        String id = create(payout(UUID.randomUUID().toString(), "9.99", "USD")).json().at("/data/id").asText();

        assertThat(status(id).json().at("/data/status").asText()).isEqualTo("complete");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            JsonNode returned = status(id).json().get("data");
            assertThat(returned.get("status").asText()).isEqualTo("failed");
            assertThat(returned.get("errorCode").asText()).isEqualTo("transaction_returned");
            assertThat(returned.at("/return/payoutId").asText()).isEqualTo(id);
            assertThat(returned.at("/return/amount/amount").asText()).isEqualTo("9.99");
        });
    }

    @Test
    void returnShareLeavesThePayoutCompleteWithAReturnOfPartThenTheRestReturnsIt() {
        faults(RAIL, Map.of("return_rate", 1, "return_share", 0.25, "return_after_ms", 3000,
                "return_rest_after_ms", 8000));
        String id = create(payout(UUID.randomUUID().toString(), "10.00", "USD")).json().at("/data/id").asText();
        assertThat(status(id).json().at("/data").has("return")).isFalse();

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            JsonNode partly = status(id).json().get("data");
            assertThat(partly.get("status").asText()).as("the payout stands").isEqualTo("complete");
            assertThat(partly.has("errorCode")).isFalse();
            assertThat(partly.at("/return/amount/amount").asText()).isEqualTo("2.50");
        });
        JsonNode partly = status(id).json().at("/data/return");
        assertThat(partly.get("payoutId").asText()).isEqualTo(id);
        assertThat(partly.get("id").asText()).matches("[0-9a-f-]{36}");
        assertThat(partly.at("/amount/currency").asText()).isEqualTo("USD");
        assertThat(partly.at("/fees/amount").asText()).isEqualTo("0.00");
        assertThat(partly.get("status").asText()).isEqualTo("complete");
        // the payer may still return what the beneficiary kept, no more
        Reply tooMuch = requestReturn(id, "7.51");
        assertThat(tooMuch.status()).as(tooMuch.toString()).isEqualTo(400);
        assertThat(tooMuch.json().get("code").asInt()).isEqualTo(2);

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            JsonNode returned = status(id).json().get("data");
            assertThat(returned.get("status").asText()).isEqualTo("failed");
            assertThat(returned.get("errorCode").asText()).isEqualTo("transaction_returned");
            assertThat(returned.at("/return/amount/amount").asText()).isEqualTo("10.00");
            assertThat(returned.at("/return/id").asText()).isEqualTo(partly.get("id").asText());
        });
        JsonNode listed = find(statement(window("from", "to")), id);
        assertThat(listed.get("errorCode").asText()).isEqualTo("transaction_returned");
        assertThat(listed.at("/return/updateDate").asText()).isGreaterThan(listed.at("/return/createDate").asText());
    }

    @Test
    void anImmediatePartialReturnShowsOnTheFirstReadApartFromTheReturnsThePayerAsked() {
        faults(RAIL, Map.of("return_rate", 1, "return_share", 0.4));
        String id = create(payout(UUID.randomUUID().toString(), "10.00", "USD")).json().at("/data/id").asText();
        resetFaults(RAIL);

        assertThat(status(id).json().at("/data/return/amount/amount").asText()).isEqualTo("4.00");
        Reply asked = requestReturn(id, "6.00");
        assertThat(asked.status()).as(asked.toString()).isEqualTo(201);
        JsonNode both = status(id).json().get("data");
        assertThat(both.get("status").asText()).isEqualTo("complete");
        assertThat(both.at("/return/amount/amount").asText()).as("the beneficiary's return only").isEqualTo("4.00");
        assertThat(both.get("returns").findValuesAsText("id")).containsExactly(asked.json().at("/data/id").asText());
    }

    private Reply requestReturn(String payoutId, String amount) {
        return call("POST", PAYOUTS + "/" + payoutId + "/returns").header("Authorization", "Bearer sandbox-key")
                .json(Map.of("idempotencyKey", UUID.randomUUID().toString(),
                        "amount", Map.of("amount", amount, "currency", "USD"))).send();
    }

    @Test
    void amountDriftShowsOnTheStatementOnly() {
        faults(RAIL, Map.of("amount_drift_minor", 5));
        String id = create(payout(UUID.randomUUID().toString(), "12.50", "USD")).json().at("/data/id").asText();

        assertThat(status(id).json().at("/data/amount/amount").asText()).isEqualTo("12.50");
        assertThat(find(statement(window("from", "to")), id).at("/amount/amount").asText()).isEqualTo("12.55");
    }

    @Test
    void aLostConfirmationStillExecutesThePayoutOnce() {
        String key = UUID.randomUUID().toString();
        faults(RAIL, Map.of("lose_confirmation_rate", 1));
        Reply lost = create(payout(key, "3.00", "USD"));
        assertThat(lost.status()).isEqualTo(500);
        assertThat(executions(RAIL, key)).isEqualTo(1);

        resetFaults(RAIL);
        Reply retried = create(payout(key, "3.00", "USD"));
        assertThat(retried.status()).isEqualTo(201);
        assertThat(find(statement(window("from", "to")), retried.json().at("/data/id").asText())).isNotNull();
        assertThat(executions(RAIL, key)).isEqualTo(1);
    }

    @Test
    void theOpsEndpointsAreForOpsOnly() {
        TestPartner partner = newPartner();
        String base = "/v1/ops/sandbox/" + RAIL;
        for (String[] route : new String[][] {{"GET", "/faults"}, {"PUT", "/faults"}, {"DELETE", "/faults"},
                {"GET", "/executions"}, {"DELETE", "/state"}}) {
            Call asPartner = call(route[0], base + route[1]).as(partner);
            Call anonymous = call(route[0], base + route[1]);
            if (route[0].equals("PUT")) {
                asPartner.json(Map.of("error_rate", 1));
                anonymous.json(Map.of("error_rate", 1));
            }
            assertThat(asPartner.send().status()).as("partner " + route[0] + route[1]).isEqualTo(403);
            assertThat(anonymous.send().status()).as("anonymous " + route[0] + route[1]).isEqualTo(401);
        }
        assertThat(ops("GET", base + "/faults").send().json().get("error_rate").asDouble()).isZero();
    }

    @Test
    void faultsAreValidatedAndReadBack() {
        faults(RAIL, Map.of("latency_ms", 1, "fail_rate", 0.25, "amount_drift_minor", -3));
        JsonNode read = ops("GET", "/v1/ops/sandbox/" + RAIL + "/faults").send().json();
        assertThat(read.get("fail_rate").asDouble()).isEqualTo(0.25);
        assertThat(read.get("amount_drift_minor").asLong()).isEqualTo(-3);
        assertThat(read.get("error_rate").asDouble()).isZero();

        Reply outOfRange = ops("PUT", "/v1/ops/sandbox/" + RAIL + "/faults")
                .json(Map.of("error_rate", 2, "latency_ms", -1)).send();
        assertThat(outOfRange.status()).isEqualTo(422);
        assertThat(outOfRange.contentType()).startsWith("application/problem+json");
        assertThat(outOfRange.json().get("errors")).extracting(e -> e.get("field").asText())
                .containsExactlyInAnyOrder("error_rate", "latency_ms");
        Reply typo = ops("PUT", "/v1/ops/sandbox/" + RAIL + "/faults").json(Map.of("eror_rate", 1)).send();
        assertThat(typo.status()).isEqualTo(400);
        assertThat(ops("PUT", "/v1/ops/sandbox/" + RAIL + "/faults").body("text/plain", "{\"error_rate\": 1}").send()
                .status()).as("a fault set is JSON").isEqualTo(415);
        assertThat(ops("GET", "/v1/ops/sandbox/" + RAIL + "/faults").send().json().get("fail_rate").asDouble())
                .as("a refused set changes nothing").isEqualTo(0.25);
        assertThat(ops("GET", "/v1/ops/sandbox/Not%20A%20Rail/faults").send().status()).isEqualTo(404);
    }

    @Test
    void resettingTheStateForgetsPayoutsAndCounts() {
        String key = UUID.randomUUID().toString();
        String id = create(payout(key, "2.00", "USD")).json().at("/data/id").asText();
        assertThat(ops("DELETE", "/v1/ops/sandbox/" + RAIL + "/state").send().status()).isEqualTo(204);

        assertThat(status(id).status()).isEqualTo(404);
        assertThat(executions(RAIL).get("total").asInt()).isZero();
    }

    @Test
    void aBulkIsExecutedOncePerKeyWithAnOutcomePerLine() {
        String key = UUID.randomUUID().toString();
        String first = UUID.randomUUID().toString();
        String second = UUID.randomUUID().toString();
        Map<String, Object> bulk = bulk(key, line(first, "3.750001"), line(second, "1"));
        Reply created = call("POST", PAYOUTS + "/bulk").header("Authorization", "Bearer sandbox-key").json(bulk).send();
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        String id = created.json().at("/data/id").asText();
        Reply again = call("POST", PAYOUTS + "/bulk").header("Authorization", "Bearer sandbox-key").json(bulk).send();
        assertThat(again.json().at("/data/id").asText()).as("the same bulk").isEqualTo(id);

        JsonNode read = call("GET", PAYOUTS + "/bulk/" + id).header("Authorization", "Bearer sandbox-key").send().json()
                .get("data");
        assertThat(read.get("status").asText()).isEqualTo("complete");
        assertThat(read.get("payouts").findValuesAsText("idempotencyKey")).containsExactly(first, second);
        assertThat(read.get("payouts").findValuesAsText("status")).containsExactly("complete", "complete");
        assertThat(read.at("/payouts/0/amount/amount").asText()).isEqualTo("3.750001");
        String payout = read.at("/payouts/1/id").asText();
        assertThat(status(payout).json().at("/data/amount/amount").asText()).as("a line is a payout").isEqualTo("1.00");
        JsonNode executions = executions(RAIL);
        assertThat(executions.at("/by_batch/" + key).asInt()).isEqualTo(1);
        assertThat(executions.at("/by_key/" + first).asInt()).isEqualTo(1);
        assertThat(executions.at("/by_key/" + second).asInt()).isEqualTo(1);

        Reply otherLines = call("POST", PAYOUTS + "/bulk").header("Authorization", "Bearer sandbox-key")
                .json(bulk(key, line(first, "3.750001"))).send();
        assertThat(otherLines.status()).as(otherLines.toString()).isEqualTo(409);

        int before = executions(RAIL).get("total").asInt();
        Reply invalid = call("POST", PAYOUTS + "/bulk").header("Authorization", "Bearer sandbox-key")
                .json(bulk(UUID.randomUUID().toString(), line(UUID.randomUUID().toString(), "1"),
                        line(UUID.randomUUID().toString(), "0.1234567"))).send();
        assertThat(invalid.status()).isEqualTo(400);
        assertThat(invalid.json().get("message").asText()).contains("payouts[1].amount.amount");
        assertThat(executions(RAIL).get("total").asInt()).as("nothing executed").isEqualTo(before);
    }

    @Test
    void everyBulkRollsItsLinesFatesFromTheSeedWhateverWasPaidBetween() {
        faults(RAIL, Map.of("fail_rate", 0.5));
        List<String> first = lineStatuses(6);
        create(payout(UUID.randomUUID().toString(), "1.00", "USD")); // a payout of its own takes a roll
        List<String> second = lineStatuses(6);
        assertThat(first).as("the seed fails some lines and pays others").contains("failed", "complete");
        assertThat(second).as("line n of every bulk meets the same fate").isEqualTo(first);
    }

    /** The final status of each line of a new bulk of {@code count} lines, in line order. */
    @SuppressWarnings("unchecked")
    private List<String> lineStatuses(int count) {
        Map<String, Object>[] lines = new Map[count];
        for (int i = 0; i < count; i++) {
            lines[i] = line(UUID.randomUUID().toString(), "1");
        }
        Reply created = call("POST", PAYOUTS + "/bulk").header("Authorization", "Bearer sandbox-key")
                .json(bulk(UUID.randomUUID().toString(), lines)).send();
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        return call("GET", PAYOUTS + "/bulk/" + created.json().at("/data/id").asText())
                .header("Authorization", "Bearer sandbox-key").send().json().get("data").get("payouts")
                .findValuesAsText("status");
    }

    @SafeVarargs
    private static Map<String, Object> bulk(String key, Map<String, Object>... lines) {
        return Map.of("idempotencyKey", key, "source", Map.of("type", "wallet", "id", "1000216185"),
                "payouts", List.of(lines));
    }

    private static Map<String, Object> line(String key, String amount) {
        return Map.of("idempotencyKey", key, "destination", Map.of("type", "address_book", "id", "1000216185"),
                "amount", Map.of("amount", amount, "currency", "USDC"));
    }

    private Reply create(Map<String, Object> body) {
        return call("POST", PAYOUTS).header("Authorization", "Bearer sandbox-key").json(body).send();
    }

    private Reply status(String id) {
        return call("GET", PAYOUTS + "/" + id).header("Authorization", "Bearer sandbox-key").send();
    }

    private Reply statement(String query) {
        return call("GET", PAYOUTS + "?" + query).header("Authorization", "Bearer sandbox-key").send();
    }

    private static JsonNode find(Reply statement, String id) {
        return StreamSupport.stream(statement.json().get("data").spliterator(), false)
                .filter(p -> p.get("id").asText().equals(id)).findFirst().orElse(null);
    }

    private static Map<String, Object> payout(String key, String amount, String currency) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("idempotencyKey", key);
        body.put("source", Map.of("type", "wallet", "id", "1000216185"));
        body.put("destination", Map.of("type", "USD".equals(currency) ? "wire" : "address_book",
                "id", "4d260ba8-5ca2-4e6a-bb2a-3c31ee2a1c6e"));
        body.put("amount", Map.of("amount", amount, "currency", currency));
        body.put("metadata", Map.of("transferId", "tr_1"));
        return body;
    }

    private static Map<String, Object> with(Map<String, Object> body, String field, Object value) {
        body.put(field, value);
        return body;
    }
}
