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

class PixSandboxTest extends RailSandboxSupport {

    private static final String RAIL = "pix";
    private static final String PIX = "/sandbox/pix/v2/pix";
    private static final String CPF = "52998224725";

    @BeforeEach
    @AfterEach
    void noFaults() {
        resetFaults(RAIL);
    }

    @Test
    void aPixIsInProcessThenConcludedOnceSettled() {
        faults(RAIL, Map.of("settle_after_ms", 3000));
        String idEnvio = idEnvio();

        Reply sent = send(idEnvio, pix("10.00", CPF));
        assertThat(sent.status()).as(sent.toString()).isEqualTo(201);
        JsonNode body = sent.json();
        assertThat(body.get("idEnvio").asText()).isEqualTo(idEnvio);
        assertThat(body.get("status").asText()).isEqualTo("EM_PROCESSAMENTO");
        assertThat(body.get("valor").asText()).isEqualTo("10.00");
        assertThat(body.at("/horario/solicitacao").asText()).endsWith("Z");
        String e2e = body.get("endToEndId").asText();
        assertThat(e2e).hasSize(32).matches("E99999999\\d{12}[A-Za-z0-9]{11}");

        assertThat(get(e2e).json().get("status").asText()).isEqualTo("EM_PROCESSAMENTO");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            JsonNode done = get(e2e).json();
            assertThat(done.get("status").asText()).isEqualTo("CONCLUIDA");
            assertThat(done.at("/horario/liquidacao").isTextual()).isTrue();
        });
        assertThat(executions(RAIL, idEnvio)).isEqualTo(1);
    }

    @Test
    void theSameIdEnvioTwiceIsOnePixAndOneExecution() {
        String idEnvio = idEnvio();
        String first = send(idEnvio, pix("25.00", "pix@example.com")).json().get("endToEndId").asText();
        Reply again = send(idEnvio, pix("25.00", "pix@example.com"));

        assertThat(again.status()).isEqualTo(201);
        assertThat(again.json().get("endToEndId").asText()).isEqualTo(first);
        assertThat(executions(RAIL, idEnvio)).isEqualTo(1);

        Reply otherValue = send(idEnvio, pix("26.00", "pix@example.com"));
        assertThat(otherValue.status()).isEqualTo(409);
        assertThat(executions(RAIL, idEnvio)).isEqualTo(1);
    }

    @Test
    void invalidPixAreRefusedAsBcbProblemsAndNotExecuted() {
        int before = executions(RAIL).get("total").asInt();
        Map<String, Map<String, Object>> invalid = Map.of(
                "valor", pix("10.001", CPF),
                "chave", pix("10.00", "12345678900"));
        invalid.forEach((field, body) -> {
            Reply reply = send(idEnvio(), body);
            assertThat(reply.status()).as(field + " " + reply).isEqualTo(400);
            assertThat(reply.contentType()).startsWith("application/problem+json");
            assertThat(reply.json().get("type").asText()).startsWith("https://pix.bcb.gov.br/api/v2/error/");
            assertThat(reply.json().at("/violacoes/0/propriedade").asText()).isEqualTo(field);
        });
        for (String value : List.of("0.00", "-1.00", "abc")) {
            assertThat(send(idEnvio(), pix(value, CPF)).status()).as(value).isEqualTo(400);
        }
        assertThat(send("has-dashes-" + UUID.randomUUID(), pix("1.00", CPF)).status()).isEqualTo(400);
        assertThat(send("a".repeat(36), pix("1.00", CPF)).status()).isEqualTo(400);
        assertThat(call("PUT", PIX + "/" + idEnvio()).json(pix("1.00", CPF)).send().status()).isEqualTo(401);
        assertThat(executions(RAIL).get("total").asInt()).isEqualTo(before);
    }

    @Test
    void anUnknownEndToEndIdIs404() {
        Reply reply = get("E99999999202601011200abcdefghijk");
        assertThat(reply.status()).isEqualTo(404);
        assertThat(reply.json().get("type").asText()).endsWith("/NaoEncontrado");
    }

    @Test
    void theStatementListsPixRequestedInTheRange() {
        String e2e = send(idEnvio(), pix("3.50", CPF)).json().get("endToEndId").asText();

        Reply statement = statement(window("inicio", "fim"));
        assertThat(statement.status()).isEqualTo(200);
        assertThat(find(statement, e2e).get("status").asText()).isEqualTo("CONCLUIDA");
        assertThat(find(statement(pastWindow("inicio", "fim")), e2e)).isNull();
        assertThat(statement("fim=2026-01-01T00:00:00Z").status()).as("inicio is required").isEqualTo(400);
    }

    @Test
    void errorRateAnswers503AndExecutesNothing() {
        String e2e = send(idEnvio(), pix("1.00", CPF)).json().get("endToEndId").asText();
        faults(RAIL, Map.of("error_rate", 1));
        String idEnvio = idEnvio();

        assertThat(send(idEnvio, pix("1.00", CPF)).status()).isEqualTo(503);
        assertThat(get(e2e).status()).isEqualTo(503);
        assertThat(executions(RAIL, idEnvio)).isZero();
    }

    @Test
    void failRateMakesThePixNotRealised() {
        faults(RAIL, Map.of("fail_rate", 1));
        String e2e = send(idEnvio(), pix("8.00", CPF)).json().get("endToEndId").asText();
        resetFaults(RAIL);

        JsonNode failed = get(e2e).json();
        assertThat(failed.get("status").asText()).isEqualTo("NAO_REALIZADO");
        assertThat(failed.has("devolucoes")).isFalse();
    }

    @Test
    void returnRateReturnsThePixAfterItConcluded() {
        faults(RAIL, Map.of("return_rate", 1, "return_after_ms", 3000));
        String e2e = send(idEnvio(), pix("15.00", CPF)).json().get("endToEndId").asText();

        assertThat(get(e2e).json().get("status").asText()).isEqualTo("CONCLUIDA");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            JsonNode returned = get(e2e).json();
            assertThat(returned.get("status").asText()).isEqualTo("DEVOLVIDO");
            assertThat(returned.at("/devolucoes/0/valor").asText()).isEqualTo("15.00");
            assertThat(returned.at("/devolucoes/0/motivo").asText()).isNotBlank();
            assertThat(returned.at("/devolucoes/0/horario/solicitacao").isTextual()).isTrue();
        });
    }

    @Test
    void returnShareGivesBackPartOfAConcludedPixAsADevolucaoOfTheRecebedorThenTheRest() {
        faults(RAIL, Map.of("return_rate", 1, "return_share", 0.25, "return_after_ms", 3000,
                "return_rest_after_ms", 8000));
        String e2e = send(idEnvio(), pix("10.00", CPF)).json().get("endToEndId").asText();
        assertThat(get(e2e).json().has("devolucoes")).isFalse();

        JsonNode[] part = new JsonNode[1];
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            JsonNode partly = get(e2e).json();
            assertThat(partly.get("status").asText()).as("the Pix stands").isEqualTo("CONCLUIDA");
            assertThat(partly.get("devolucoes")).hasSize(1);
            part[0] = partly.at("/devolucoes/0");
        });
        assertThat(part[0].get("valor").asText()).isEqualTo("2.50");
        assertThat(part[0].get("status").asText()).isEqualTo("DEVOLVIDO");
        assertThat(part[0].get("natureza").asText()).isEqualTo("ORIGINAL");
        assertThat(part[0].get("solicitante").asText()).isEqualTo("RECEBEDOR");
        assertThat(part[0].get("motivo").asText()).isNotBlank();
        assertThat(part[0].get("rtrId").asText()).hasSize(32).matches("D99999999\\d{12}[A-Za-z0-9]{11}");
        assertThat(part[0].at("/horario/liquidacao").isTextual()).isTrue();
        // the payer may still ask a devolução of what the recebedor kept, no more
        Reply tooMuch = devolucao(e2e, idEnvio(), "7.51");
        assertThat(tooMuch.status()).as(tooMuch.toString()).isEqualTo(400);
        assertThat(tooMuch.json().at("/violacoes/0/propriedade").asText()).isEqualTo("amount");

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            JsonNode returned = get(e2e).json();
            assertThat(returned.get("status").asText()).isEqualTo("DEVOLVIDO");
            assertThat(returned.get("devolucoes").findValuesAsText("valor")).containsExactly("2.50", "7.50");
            assertThat(returned.get("devolucoes").findValuesAsText("solicitante"))
                    .containsExactly("RECEBEDOR", "RECEBEDOR");
            assertThat(returned.get("devolucoes").findValuesAsText("rtrId")).doesNotHaveDuplicates();
        });
        JsonNode listed = find(statement(window("inicio", "fim")), e2e);
        assertThat(listed.get("status").asText()).isEqualTo("DEVOLVIDO");
        assertThat(listed.get("devolucoes").findValuesAsText("valor")).containsExactly("2.50", "7.50");
        assertThat(devolucao(e2e, idEnvio(), "0.01").status()).as("nothing left to give back").isEqualTo(400);
    }

    @Test
    void anImmediatePartialReturnShowsOnTheFirstReadAndTheRestNeverFollowsByDefault() {
        faults(RAIL, Map.of("return_rate", 1, "return_share", 0.4));
        String e2e = send(idEnvio(), pix("10.00", CPF)).json().get("endToEndId").asText();
        resetFaults(RAIL);

        JsonNode partly = get(e2e).json();
        assertThat(partly.get("status").asText()).isEqualTo("CONCLUIDA");
        assertThat(partly.get("devolucoes").findValuesAsText("valor")).containsExactly("4.00");
        String id = idEnvio();
        Reply devolucao = devolucao(e2e, id, "6.00");
        assertThat(devolucao.status()).as(devolucao.toString()).isEqualTo(201);
        JsonNode both = get(e2e).json();
        assertThat(both.get("status").asText()).isEqualTo("CONCLUIDA");
        assertThat(both.get("devolucoes").findValuesAsText("solicitante")).containsExactlyInAnyOrder("PAGADOR",
                "RECEBEDOR");
        Reply outOfRange = ops("PUT", "/v1/ops/sandbox/" + RAIL + "/faults")
                .json(Map.of("return_share", 1.5, "return_rest_after_ms", -1)).send();
        assertThat(outOfRange.status()).as(outOfRange.toString()).isEqualTo(422);
        assertThat(outOfRange.json().get("errors")).extracting(e -> e.get("field").asText())
                .containsExactlyInAnyOrder("return_share", "return_rest_after_ms");
    }

    @Test
    void amountDriftShowsOnTheStatementOnly() {
        faults(RAIL, Map.of("amount_drift_minor", 3));
        String e2e = send(idEnvio(), pix("10.00", CPF)).json().get("endToEndId").asText();

        assertThat(get(e2e).json().get("valor").asText()).isEqualTo("10.00");
        assertThat(find(statement(window("inicio", "fim")), e2e).get("valor").asText()).isEqualTo("10.03");
    }

    @Test
    void aLostConfirmationStillExecutesThePixOnce() {
        String idEnvio = idEnvio();
        faults(RAIL, Map.of("lose_confirmation_rate", 1));
        assertThat(send(idEnvio, pix("4.00", CPF)).status()).isEqualTo(500);
        assertThat(executions(RAIL, idEnvio)).isEqualTo(1);

        resetFaults(RAIL);
        Reply retried = send(idEnvio, pix("4.00", CPF));
        assertThat(retried.status()).isEqualTo(201);
        assertThat(get(retried.json().get("endToEndId").asText()).status()).isEqualTo(200);
        assertThat(executions(RAIL, idEnvio)).isEqualTo(1);
    }

    @Test
    void theOpsEndpointsAreForOpsOnly() {
        TestPartner partner = newPartner();
        assertThat(call("GET", "/v1/ops/sandbox/pix/executions").as(partner).send().status()).isEqualTo(403);
        assertThat(call("PUT", "/v1/ops/sandbox/pix/faults").as(partner).json(Map.of()).send().status()).isEqualTo(403);
        assertThat(call("GET", "/v1/ops/sandbox/pix/executions").send().status()).isEqualTo(401);
    }

    @Test
    void aDevolucaoOfASettledPixIsExecutedOnceNeverBeyondTheAmountAndListedWithThePix() {
        faults(RAIL, Map.of("settle_after_ms", 3000));
        String e2e = send(idEnvio(), pix("30.00", CPF)).json().get("endToEndId").asText();
        String early = idEnvio();
        Reply pending = devolucao(e2e, early, "5.00");
        assertThat(pending.status()).as("a Pix in process cannot be returned").isEqualTo(400);
        assertThat(executions(RAIL, early)).isZero();
        await().atMost(Duration.ofSeconds(30)).until(() -> get(e2e).json().get("status").asText().equals("CONCLUIDA"));
        resetFaults(RAIL);

        String id = idEnvio();
        Reply first = devolucao(e2e, id, "10.00");
        assertThat(first.status()).as(first.toString()).isEqualTo(201);
        assertThat(first.json().get("status").asText()).isEqualTo("EM_PROCESSAMENTO");
        String rtrId = first.json().get("rtrId").asText();
        assertThat(rtrId).hasSize(32).startsWith("D99999999");
        Reply again = devolucao(e2e, id, "10.00");
        assertThat(again.json().get("rtrId").asText()).isEqualTo(rtrId);
        assertThat(devolucao(e2e, id, "11.00").status()).as("the same id for another amount").isEqualTo(409);
        assertThat(executions(RAIL, id)).isEqualTo(1);
        Reply done = call("GET", PIX + "/" + e2e + "/devolucao/" + id).header("Authorization", "Bearer pix-token").send();
        assertThat(done.json().get("status").asText()).isEqualTo("DEVOLVIDO");

        Reply tooMuch = devolucao(e2e, idEnvio(), "20.01");
        assertThat(tooMuch.status()).isEqualTo(400);
        assertThat(tooMuch.json().at("/violacoes/0/propriedade").asText()).isEqualTo("amount");
        assertThat(devolucao(e2e, idEnvio(), "20.00").status()).isEqualTo(201);
        assertThat(get(e2e).json().get("devolucoes").findValuesAsText("rtrId")).hasSize(2).contains(rtrId);
        assertThat(devolucao("E99999999202601010000AAAAAAAAAAA", idEnvio(), "1.00").status()).isEqualTo(404);
    }

    private Reply devolucao(String endToEndId, String id, String valor) {
        return call("PUT", PIX + "/" + endToEndId + "/devolucao/" + id).header("Authorization", "Bearer pix-token")
                .json(Map.of("valor", valor)).send();
    }

    /** The hub's transfer id with its dashes removed: 32 alphanumerics. */
    private static String idEnvio() {
        return UUID.randomUUID().toString().replace("-", "");
    }

    private Reply send(String idEnvio, Map<String, Object> body) {
        return call("PUT", PIX + "/" + idEnvio).header("Authorization", "Bearer pix-token").json(body).send();
    }

    private Reply get(String endToEndId) {
        return call("GET", PIX + "/" + endToEndId).header("Authorization", "Bearer pix-token").send();
    }

    private Reply statement(String query) {
        return call("GET", PIX + "?" + query).header("Authorization", "Bearer pix-token").send();
    }

    private static JsonNode find(Reply statement, String e2e) {
        return StreamSupport.stream(statement.json().get("pix").spliterator(), false)
                .filter(p -> p.get("endToEndId").asText().equals(e2e)).findFirst().orElse(null);
    }

    private static Map<String, Object> pix(String valor, String chave) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("valor", valor);
        body.put("chave", chave);
        body.put("infoPagador", "Railyard payout");
        return body;
    }
}
