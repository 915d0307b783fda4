package io.railyard.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.railyard.HubTest;
import io.railyard.ledger.AccountKind;
import io.railyard.ledger.CurrencyCode;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Bad input anywhere: a problem document with a stable code and the field at fault, and nothing written. */
class ProblemResponsesTest extends HubTest {

    @Test
    void malformedJsonIs400AndChangesNothing() {
        TestPartner partner = newPartner();
        Reply reply = deposit(partner, "{\"currency\": \"USD\", \"amount\": ");
        assertProblem(reply, 400, "malformed_json", null);
        assertThat(ledger.balance(partner.account(CurrencyCode.USD, AccountKind.AVAILABLE))).isZero();
        assertThat(reply.body()).doesNotContain("Exception").doesNotContain("at io.railyard");
    }

    @Test
    void anUnknownFieldIsNamed() {
        TestPartner partner = newPartner();
        assertProblem(deposit(partner, "{\"currency\":\"USD\",\"amount\":1,\"reference\":\"r\",\"amonut\":5}"),
                400, "unknown_field", "amonut");
    }

    @Test
    void aWrongTypeIsNamed() {
        TestPartner partner = newPartner();
        assertProblem(deposit(partner, "{\"currency\":\"USD\",\"amount\":\"ten\",\"reference\":\"r\"}"),
                400, "invalid_field_format", "amount");
    }

    @Test
    void anInvalidValueIs422WithTheFieldAndWritesNothing() {
        TestPartner partner = newPartner();
        assertProblem(deposit(partner, Map.of("currency", "EUR", "amount", 5, "reference", "r")),
                422, "validation_failed", "currency");
        assertProblem(deposit(partner, Map.of("currency", "USD", "amount", 5.001, "reference", "r")),
                422, "validation_failed", "amount");
        assertProblem(deposit(partner, Map.of("currency", "USD", "amount", -5, "reference", "r")),
                422, "validation_failed", "amount");
        assertThat(ledger.balances(io.railyard.ledger.OwnerType.PARTNER, partner.id().toString())).isEmpty();
    }

    @Test
    void aWrongContentTypeIs415() {
        TestPartner partner = newPartner();
        Reply reply = call("POST", "/v1/ops/partners/" + partner.id() + "/deposits").asOps()
                .body("text/plain", "amount=5").send();
        assertProblem(reply, 415, "unsupported_media_type", null);
    }

    @Test
    void anOversizedBodyIsRefusedBeforeItIsRead() {
        Reply reply = call("POST", "/v1/ops/partners").asOps().json("{\"name\":\"" + "x".repeat(3_000_000) + "\"}")
                .send();
        assertProblem(reply, 413, "payload_too_large", null);
    }

    @Test
    void anUnknownPartnerIs404() {
        Reply reply = call("POST", "/v1/ops/partners/" + java.util.UUID.randomUUID() + "/deposits").asOps()
                .json(Map.of("currency", "USD", "amount", 5, "reference", "r")).send();
        assertProblem(reply, 404, "not_found", null);
    }

    @Test
    void aRouteThatDoesNotExistIs404AndAMethodARouteDoesNotTakeIs405() {
        TestPartner partner = newPartner();
        assertProblem(call("GET", "/v1/no-such-route").as(partner).send(), 404, "not_found", null);
        assertProblem(call("GET", "/v1/transfers/batch/x/y/z").as(partner).send(), 404, "not_found", null);
        assertProblem(call("DELETE", "/v1/transfers").as(partner).send(), 405, "method_not_allowed", null);
        assertProblem(call("PATCH", "/v1/ops/partners").asOps().json(Map.of()).send(), 405, "method_not_allowed",
                null);
    }

    @Test
    void aDepositIsIdempotentByReference() {
        TestPartner partner = newPartner();
        Map<String, Object> body = Map.of("currency", "BRL", "amount", "12.34", "reference", "wire-77");
        Reply first = deposit(partner, body);
        Reply again = deposit(partner, body);
        assertThat(first.status()).isEqualTo(201);
        assertThat(again.status()).isEqualTo(200);
        assertThat(again.json().get("entry_id")).isEqualTo(first.json().get("entry_id"));
        assertThat(ledger.balance(partner.account(CurrencyCode.BRL, AccountKind.AVAILABLE))).isEqualTo(1234);
    }

    @Test
    void aPathTomcatRefusesIsAProblemDocumentNotTomcatsHtmlPage() {
        String key = newPartner().bearer();
        for (String path : List.of("/v1/transfers/%00", "/v1/transfers/a%2Fb", "/v1/transfers/%zz", "/v1/transfers/%",
                "/v1/transfers/%E0%A4%A", "/v1/transfers/a\\b")) {
            RawHttp.Answer answer = RawHttp.send(port, "GET " + path, key);
            assertThat(answer.status()).as(path + " → " + answer).isEqualTo(400);
            assertThat(answer.contentType()).as(path + " → " + answer).startsWith("application/problem+json");
            assertThat(answer.body()).contains("\"code\":\"request_rejected\"")
                    .contains("\"type\":\"https://railyard.dev/problems/request-rejected\"")
                    .doesNotContain("<html").doesNotContain("Tomcat").doesNotContain("Exception");
        }
    }

    private Reply deposit(TestPartner partner, Object body) {
        return call("POST", "/v1/ops/partners/" + partner.id() + "/deposits").asOps().json(body).send();
    }

    static void assertProblem(Reply reply, int status, String code, String field) {
        assertThat(reply.status()).as(reply.toString()).isEqualTo(status);
        assertThat(reply.contentType()).startsWith("application/problem+json");
        assertThat(reply.json().get("code").asText()).isEqualTo(code);
        assertThat(reply.json().get("type").asText()).isEqualTo("https://railyard.dev/problems/" + code.replace('_', '-'));
        if (field != null) {
            assertThat(reply.json().get("field").asText()).isEqualTo(field);
        }
    }
}
