package io.railyard.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import io.railyard.transfer.Identifiers;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * SPEI simulator in the shape of STP's order API: register an order under the payer's {@code claveRastreo}
 * (idempotent), read it back, list a day. Estados En proceso → Liquidada | Devuelta; an order the receiving bank
 * rejects is Devuelta without {@code tsLiquidacion}, a late return is Devuelta after Liquidada (with it). Like STP,
 * a refused order is answered 200 with {@code id: 0} and a {@code descripcionError}. A reverse order (the payer's
 * refund of a settled order) is registered with PUT {@code /devolucion} under its own {@code claveRastreo}, naming the
 * {@code claveRastreoOriginal}, and read with GET {@code /devolucion/{claveRastreo}}: En proceso → Liquidada |
 * Cancelada.
 */
@RestController
@SandboxEnabled
@RequestMapping("/sandbox/spei/ordenPago")
class SpeiSandbox extends RailEndpoint {

    static final ZoneId ZONE = ZoneId.of("America/Mexico_City");
    private static final Pattern CLAVE_RASTREO = Pattern.compile("[a-zA-Z0-9]{1,30}");
    private static final String REJECTED = "1 Cuenta inexistente";
    private static final String RETURNED = "13 Beneficiario no reconoce el pago";

    record Orden(String conceptoPago, String cuentaBeneficiario, String nombreBeneficiario, BigDecimal monto,
            String institucionContraparte, String empresa) {
    }

    private final Rail<Orden> rail;
    private final AtomicLong ids = new AtomicLong(4_000_000);

    SpeiSandbox(Sandbox sandbox) {
        this.rail = sandbox.rail("spei");
    }

    @PutMapping("/registra")
    Map<String, Object> register(@RequestHeader(name = "X-Firma", required = false) String firma,
            @RequestBody JsonNode body) {
        requireHeader(firma, "X-Firma");
        String clave = text(body, "/claveRastreo");
        check(clave != null && CLAVE_RASTREO.matcher(clave).matches(), "claveRastreo", "must be 1 to 30 letters or digits");
        String concepto = text(body, "/conceptoPago");
        check(concepto != null && concepto.length() <= 40, "conceptoPago", "is required, at most 40 characters");
        String cuenta = text(body, "/cuentaBeneficiario");
        check(Identifiers.isValidClabe(cuenta), "cuentaBeneficiario", "is not a CLABE (18 digits, valid check digit)");
        String nombre = text(body, "/nombreBeneficiario");
        check(nombre != null && nombre.length() <= 40, "nombreBeneficiario", "is required, at most 40 characters");
        BigDecimal monto = amount(scalar(body, "/monto"), 2);
        check(monto != null, "monto", "must be positive with at most 2 decimals");
        String institucion = scalar(body, "/institucionContraparte");
        check(cuenta.substring(0, 3).equals(institucion), "institucionContraparte",
                "must be the bank of the CLABE (" + cuenta.substring(0, 3) + ")");
        String empresa = text(body, "/empresa");
        check(empresa != null, "empresa", "is required");

        Orden orden = new Orden(concepto, cuenta, nombre, monto, institucion, empresa);
        Payout<Orden> payout = rail.create(clave, orden, monto, () -> String.valueOf(ids.incrementAndGet()));
        return Map.of("resultado", Map.of("id", Long.parseLong(payout.id())));
    }

    @PutMapping("/devolucion")
    Map<String, Object> registerReverse(@RequestHeader(name = "X-Firma", required = false) String firma,
            @RequestBody JsonNode body) {
        requireHeader(firma, "X-Firma");
        String clave = text(body, "/claveRastreo");
        check(clave != null && CLAVE_RASTREO.matcher(clave).matches(), "claveRastreo", "must be 1 to 30 letters or digits");
        String original = text(body, "/claveRastreoOriginal");
        check(original != null, "claveRastreoOriginal", "is required");
        BigDecimal monto = amount(scalar(body, "/monto"), 2);
        check(monto != null, "monto", "must be positive with at most 2 decimals");
        check(text(body, "/empresa") != null, "empresa", "is required");
        Payout<Orden> orden = rail.payoutByKey(original).orElseThrow(() -> RailError.notFound("orden " + original));
        RailRefund<Orden> reverse = rail.refund(orden, clave, monto, () -> String.valueOf(ids.incrementAndGet()));
        return Map.of("resultado", Map.of("id", Long.parseLong(reverse.id())));
    }

    @GetMapping("/devolucion/{claveRastreo}")
    Map<String, Object> reverseStatus(@RequestHeader(name = "X-Firma", required = false) String firma,
            @PathVariable String claveRastreo) {
        requireHeader(firma, "X-Firma");
        RailRefund<Orden> reverse = rail.refundByKey(claveRastreo)
                .orElseThrow(() -> RailError.notFound("devolucion " + claveRastreo));
        return reverseView(reverse, reverse.phase(rail.now()));
    }

    private static Map<String, Object> reverseView(RailRefund<Orden> reverse, Payout.Phase phase) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("claveRastreo", reverse.key());
        view.put("claveRastreoOriginal", reverse.payout().key());
        view.put("id", Long.parseLong(reverse.id()));
        view.put("monto", reverse.amount());
        view.put("estado", switch (phase) {
            case PENDING -> "En proceso";
            case SETTLED, RETURNED -> "Liquidada";
            case FAILED -> "Cancelada";
        });
        if (phase == Payout.Phase.FAILED) {
            view.put("causaDevolucion", "17 Operación no permitida por el participante");
        }
        view.put("tsCaptura", reverse.createdAt().toEpochMilli());
        if (phase == Payout.Phase.SETTLED) {
            view.put("tsLiquidacion", reverse.settledAt().toEpochMilli());
        }
        return view;
    }

    @GetMapping("/{claveRastreo}")
    Map<String, Object> status(@RequestHeader(name = "X-Firma", required = false) String firma,
            @PathVariable String claveRastreo) {
        requireHeader(firma, "X-Firma");
        Payout<Orden> payout = rail.byKey(claveRastreo).orElseThrow(() -> RailError.notFound("orden " + claveRastreo));
        return view(payout, rail.phase(payout), payout.amount());
    }

    /** The statement reconciliation reads: orders of one operation day (Mexico City). */
    @GetMapping
    Map<String, Object> list(@RequestHeader(name = "X-Firma", required = false) String firma,
            @RequestParam(required = false) String fechaOperacion) {
        requireHeader(firma, "X-Firma");
        LocalDate day;
        try {
            day = LocalDate.parse(fechaOperacion == null ? "" : fechaOperacion);
        } catch (DateTimeParseException e) {
            throw RailError.invalid("fechaOperacion", "must be a date yyyy-MM-dd");
        }
        List<Payout<Orden>> payouts = rail.statement(day.atStartOfDay(ZONE).toInstant(),
                day.plusDays(1).atStartOfDay(ZONE).toInstant());
        // the day's reverse orders (refunds the hub asked for) come with the orders, for reconciliation
        List<RailRefund<Orden>> reverses = rail.refundStatement(day.atStartOfDay(ZONE).toInstant(),
                day.plusDays(1).atStartOfDay(ZONE).toInstant());
        return Map.of("ordenes", payouts.stream().map(p -> view(p, rail.phase(p), p.statementAmount())).toList(),
                "devoluciones", reverses.stream().map(r -> reverseView(r, r.phase(rail.now()))).toList());
    }

    private static Map<String, Object> view(Payout<Orden> payout, Payout.Phase phase, BigDecimal monto) {
        Orden orden = payout.detail();
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("claveRastreo", payout.key());
        view.put("id", Long.parseLong(payout.id()));
        view.put("monto", monto);
        view.put("cuentaBeneficiario", orden.cuentaBeneficiario());
        view.put("nombreBeneficiario", orden.nombreBeneficiario());
        view.put("conceptoPago", orden.conceptoPago());
        view.put("institucionContraparte", orden.institucionContraparte());
        view.put("estado", switch (phase) {
            case PENDING -> "En proceso";
            case SETTLED -> "Liquidada";
            case FAILED, RETURNED -> "Devuelta";
        });
        if (phase == Payout.Phase.FAILED || phase == Payout.Phase.RETURNED) {
            view.put("causaDevolucion", phase == Payout.Phase.FAILED ? REJECTED : RETURNED);
        }
        view.put("fechaOperacion", LocalDate.ofInstant(payout.createdAt(), ZONE).toString());
        view.put("tsCaptura", payout.createdAt().toEpochMilli());
        if (phase == Payout.Phase.SETTLED || phase == Payout.Phase.RETURNED) {
            view.put("tsLiquidacion", payout.settledAt().toEpochMilli());
        }
        if (phase == Payout.Phase.FAILED || phase == Payout.Phase.RETURNED) {
            view.put("tsDevolucion", payout.changedAt(phase).toEpochMilli());
        }
        return view;
    }

    @Override
    ResponseEntity<Object> render(RailError error) {
        // STP answers refused orders with 200; only the signature and unknown orders get their own status.
        int status = error.kind() == RailError.Kind.UNAUTHORIZED || error.kind() == RailError.Kind.NOT_FOUND
                ? error.status() : 200;
        return ResponseEntity.status(status).body(Map.of("resultado",
                Map.of("id", 0, "descripcionError", error.getMessage())));
    }
}
