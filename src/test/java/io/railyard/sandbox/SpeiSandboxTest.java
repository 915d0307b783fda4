package io.railyard.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.railyard.transfer.Identifiers;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class SpeiSandboxTest extends RailSandboxSupport {

    private static final String RAIL = "spei";
    private static final String ORDERS = "/sandbox/spei/ordenPago";
    private static final String CLABE = withCheckDigit("01218000118359719");

    @BeforeEach
    @AfterEach
    void noFaults() {
        resetFaults(RAIL);
    }

    @Test
    void anOrderIsInProcessThenLiquidatedOnceSettled() {
        faults(RAIL, Map.of("settle_after_ms", 3000));
        String clave = clave();

        Reply registered = register(orden(clave, "100.00", CLABE));
        assertThat(registered.status()).as(registered.toString()).isEqualTo(200);
        long id = registered.json().at("/resultado/id").asLong();
        assertThat(id).isPositive();
        assertThat(registered.json().at("/resultado/descripcionError").isMissingNode()).isTrue();

        JsonNode pending = get(clave).json();
        assertThat(pending.get("estado").asText()).isEqualTo("En proceso");
        assertThat(pending.get("id").asLong()).isEqualTo(id);
        assertThat(pending.get("monto").decimalValue()).isEqualByComparingTo("100.00");
        assertThat(pending.get("cuentaBeneficiario").asText()).isEqualTo(CLABE);
        assertThat(pending.get("fechaOperacion").asText())
                .isEqualTo(LocalDate.now(ZoneId.of("America/Mexico_City")).toString());
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            JsonNode done = get(clave).json();
            assertThat(done.get("estado").asText()).isEqualTo("Liquidada");
            assertThat(done.has("tsLiquidacion")).isTrue();
            assertThat(done.has("causaDevolucion")).isFalse();
        });
        assertThat(executions(RAIL, clave)).isEqualTo(1);
    }

    @Test
    void theSameClaveRastreoTwiceIsOneOrderAndOneExecution() {
        String clave = clave();
        long first = register(orden(clave, "55.10", CLABE)).json().at("/resultado/id").asLong();
        Reply again = register(orden(clave, "55.10", CLABE));

        assertThat(again.json().at("/resultado/id").asLong()).isEqualTo(first);
        assertThat(executions(RAIL, clave)).isEqualTo(1);

        Reply otherAmount = register(orden(clave, "55.20", CLABE));
        assertThat(otherAmount.status()).isEqualTo(200);
        assertThat(otherAmount.json().at("/resultado/id").asLong()).isZero();
        assertThat(otherAmount.json().at("/resultado/descripcionError").asText()).isNotBlank();
        assertThat(executions(RAIL, clave)).isEqualTo(1);
    }

    @Test
    void invalidOrdersAreRefusedTheStpWayAndNotExecuted() {
        int before = executions(RAIL).get("total").asInt();
        String badCheckDigit = CLABE.substring(0, 17) + ((CLABE.charAt(17) - '0' + 1) % 10);
        Map<String, Map<String, Object>> invalid = Map.of(
                "cuentaBeneficiario", orden(clave(), "1.00", badCheckDigit),
                "monto", orden(clave(), "1.005", CLABE),
                "claveRastreo", orden("with-dash", "1.00", CLABE),
                "institucionContraparte", with(orden(clave(), "1.00", CLABE), "institucionContraparte", "002"),
                "nombreBeneficiario", with(orden(clave(), "1.00", CLABE), "nombreBeneficiario", "x".repeat(41)));
        invalid.forEach((field, body) -> {
            Reply reply = register(body);
            assertThat(reply.status()).as(field).isEqualTo(200);
            assertThat(reply.json().at("/resultado/id").asLong()).as(field).isZero();
            assertThat(reply.json().at("/resultado/descripcionError").asText()).as(field).contains(field);
        });
        Reply unsigned = call("PUT", ORDERS + "/registra").json(orden(clave(), "1.00", CLABE)).send();
        assertThat(unsigned.status()).isEqualTo(401);
        assertThat(call("GET", ORDERS + "/" + clave()).header("X-Firma", " ").send().status()).isEqualTo(401);
        assertThat(executions(RAIL).get("total").asInt()).isEqualTo(before);

        Reply numericMonto = register(with(orden(clave(), "0", CLABE), "monto", 12.5));
        assertThat(numericMonto.json().at("/resultado/id").asLong()).as("STP takes monto as a number too").isPositive();
    }

    @Test
    void anUnknownOrderIs404() {
        assertThat(get(clave()).status()).isEqualTo(404);
    }

    @Test
    void theStatementListsTheOrdersOfAnOperationDay() {
        String clave = clave();
        register(orden(clave, "20.00", CLABE));
        LocalDate day = LocalDate.parse(get(clave).json().get("fechaOperacion").asText());

        JsonNode listed = find(statement(day.toString()), clave);
        assertThat(listed).isNotNull();
        assertThat(listed.get("estado").asText()).isEqualTo("Liquidada");
        assertThat(find(statement(day.minusDays(1).toString()), clave)).isNull();
        Reply noDay = call("GET", ORDERS).header("X-Firma", "sig").send();
        assertThat(noDay.json().at("/resultado/descripcionError").asText()).contains("fechaOperacion");
    }

    @Test
    void errorRateAnswers503AndExecutesNothing() {
        String registered = clave();
        register(orden(registered, "1.00", CLABE));
        faults(RAIL, Map.of("error_rate", 1));
        String clave = clave();

        assertThat(register(orden(clave, "1.00", CLABE)).status()).isEqualTo(503);
        assertThat(get(registered).status()).isEqualTo(503);
        assertThat(executions(RAIL, clave)).isZero();
    }

    @Test
    void failRateReturnsTheOrderWithoutLiquidatingIt() {
        faults(RAIL, Map.of("fail_rate", 1));
        String clave = clave();
        register(orden(clave, "30.00", CLABE));
        resetFaults(RAIL);

        JsonNode failed = get(clave).json();
        assertThat(failed.get("estado").asText()).isEqualTo("Devuelta");
        assertThat(failed.get("causaDevolucion").asText()).startsWith("1 ");
        assertThat(failed.has("tsLiquidacion")).as("never liquidated").isFalse();
    }

    @Test
    void returnRateReturnsTheOrderAfterItWasLiquidated() {
        faults(RAIL, Map.of("return_rate", 1, "return_after_ms", 3000));
        String clave = clave();
        register(orden(clave, "31.00", CLABE));

        assertThat(get(clave).json().get("estado").asText()).isEqualTo("Liquidada");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            JsonNode returned = get(clave).json();
            assertThat(returned.get("estado").asText()).isEqualTo("Devuelta");
            assertThat(returned.get("causaDevolucion").asText()).isNotBlank();
            assertThat(returned.has("tsLiquidacion")).as("liquidated first").isTrue();
            assertThat(returned.get("tsDevolucion").asLong()).isGreaterThan(returned.get("tsLiquidacion").asLong());
        });
    }

    @Test
    void amountDriftShowsOnTheStatementOnly() {
        faults(RAIL, Map.of("amount_drift_minor", 7));
        String clave = clave();
        register(orden(clave, "100.00", CLABE));
        String day = get(clave).json().get("fechaOperacion").asText();

        assertThat(get(clave).json().get("monto").decimalValue()).isEqualByComparingTo("100.00");
        assertThat(find(statement(day), clave).get("monto").decimalValue()).isEqualByComparingTo("100.07");
    }

    @Test
    void aLostConfirmationStillExecutesTheOrderOnce() {
        String clave = clave();
        faults(RAIL, Map.of("lose_confirmation_rate", 1));
        assertThat(register(orden(clave, "9.00", CLABE)).status()).isEqualTo(500);
        assertThat(executions(RAIL, clave)).isEqualTo(1);

        resetFaults(RAIL);
        assertThat(get(clave).json().get("estado").asText()).isEqualTo("Liquidada");
        assertThat(register(orden(clave, "9.00", CLABE)).json().at("/resultado/id").asLong()).isPositive();
        assertThat(executions(RAIL, clave)).isEqualTo(1);
    }

    @Test
    void theOpsEndpointsAreForOpsOnly() {
        TestPartner partner = newPartner();
        assertThat(call("GET", "/v1/ops/sandbox/spei/faults").as(partner).send().status()).isEqualTo(403);
        assertThat(call("DELETE", "/v1/ops/sandbox/spei/state").as(partner).send().status()).isEqualTo(403);
        assertThat(call("GET", "/v1/ops/sandbox/spei/faults").send().status()).isEqualTo(401);
    }

    @Test
    void aReverseOrderOfASettledOrderSettlesOnceAndIsListedWithTheDay() {
        String original = clave();
        assertThat(register(orden(original, "80.00", CLABE)).json().at("/resultado/id").asLong()).isPositive();
        await().atMost(Duration.ofSeconds(30)).until(() -> get(original).json().get("estado").asText().equals("Liquidada"));
        String reverse = "RD" + clave().substring(2);
        Reply registered = reverseOrder(reverse, original, "80.00");
        assertThat(registered.json().at("/resultado/id").asLong()).as(registered.toString()).isPositive();
        assertThat(reverseOrder(reverse, original, "80.00").json().at("/resultado/id").asLong())
                .isEqualTo(registered.json().at("/resultado/id").asLong());
        assertThat(executions(RAIL, reverse)).isEqualTo(1);
        Reply refused = reverseOrder("RD" + clave().substring(2), original, "0.01");
        assertThat(refused.status()).isEqualTo(200);
        assertThat(refused.json().at("/resultado/id").asInt()).isZero();
        assertThat(refused.json().at("/resultado/descripcionError").asText()).contains("exceeds");

        JsonNode status = call("GET", ORDERS + "/devolucion/" + reverse).header("X-Firma", "c2lnbmF0dXJl").send().json();
        assertThat(status.get("estado").asText()).isEqualTo("Liquidada");
        assertThat(status.get("claveRastreoOriginal").asText()).isEqualTo(original);
        String day = get(original).json().get("fechaOperacion").asText();
        assertThat(statement(day).json().get("devoluciones").findValuesAsText("claveRastreo")).contains(reverse);
    }

    private Reply reverseOrder(String clave, String original, String monto) {
        return call("PUT", ORDERS + "/devolucion").header("X-Firma", "c2lnbmF0dXJl").json(Map.of("claveRastreo", clave,
                "claveRastreoOriginal", original, "monto", monto, "empresa", "RAILYARD")).send();
    }

    private static String clave() {
        return "RY" + UUID.randomUUID().toString().replace("-", "").substring(0, 20).toUpperCase();
    }

    private static String withCheckDigit(String seventeenDigits) {
        return IntStream.range(0, 10).mapToObj(d -> seventeenDigits + d).filter(Identifiers::isValidClabe)
                .findFirst().orElseThrow();
    }

    private Reply register(Map<String, Object> body) {
        return call("PUT", ORDERS + "/registra").header("X-Firma", "c2lnbmF0dXJl").json(body).send();
    }

    private Reply get(String clave) {
        return call("GET", ORDERS + "/" + clave).header("X-Firma", "c2lnbmF0dXJl").send();
    }

    private Reply statement(String day) {
        return call("GET", ORDERS + "?fechaOperacion=" + day).header("X-Firma", "c2lnbmF0dXJl").send();
    }

    private static JsonNode find(Reply statement, String clave) {
        return StreamSupport.stream(statement.json().get("ordenes").spliterator(), false)
                .filter(o -> o.get("claveRastreo").asText().equals(clave)).findFirst().orElse(null);
    }

    private static Map<String, Object> orden(String clave, String monto, String clabe) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("claveRastreo", clave);
        body.put("conceptoPago", "Pago Railyard");
        body.put("cuentaBeneficiario", clabe);
        body.put("nombreBeneficiario", "Maria Lopez");
        body.put("monto", monto);
        body.put("institucionContraparte", clabe.substring(0, 3));
        body.put("empresa", "RAILYARD");
        return body;
    }

    private static Map<String, Object> with(Map<String, Object> body, String field, Object value) {
        body.put(field, value);
        return body;
    }
}
