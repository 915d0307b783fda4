package io.railyard.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.regex.Pattern;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * The generic rail behind {@code connectors/_template}: any rail name gets its own simulator (state, faults, counts)
 * with a plain REST payout API. Statuses PENDING → PAID | REJECTED, and REVERSED for a late return (PARTIALLY_REVERSED
 * with its {@code returned_amount} when only part came back, REVERSED once the rest came back too). A paid payout is
 * refunded with POST {@code /payouts/{id}/refunds} (idempotent on {@code idempotency_key}), read with GET
 * {@code /payouts/{id}/refunds/{refundId}}: PENDING → REFUNDED | REJECTED.
 */
@RestController
@SandboxEnabled
@RequestMapping("/sandbox/template/{rail}/payouts")
class TemplateSandbox extends RailEndpoint {

    private static final Pattern KEY = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    private static final Pattern CURRENCY = Pattern.compile("[A-Z]{3}|USDC");

    record Request(BigDecimal amount, String currency, JsonNode beneficiary) {
    }

    private final Sandbox sandbox;

    TemplateSandbox(Sandbox sandbox) {
        this.sandbox = sandbox;
    }

    @PostMapping
    ResponseEntity<Object> create(@RequestHeader(name = "X-Api-Key", required = false) String apiKey,
            @PathVariable String rail, @RequestBody JsonNode body) {
        Rail<Request> simulator = rail(rail, apiKey);
        String key = text(body, "/idempotency_key");
        check(key != null && KEY.matcher(key).matches(), "idempotency_key", "must be 1 to 64 letters, digits, - or _");
        String currency = text(body, "/currency");
        check(currency != null && CURRENCY.matcher(currency).matches(), "currency", "must be an ISO 4217 code or USDC");
        int scale = "USDC".equals(currency) ? 6 : 2;
        BigDecimal amount = amount(scalar(body, "/amount"), scale);
        check(amount != null, "amount", "must be positive with at most " + scale + " decimals");
        JsonNode beneficiary = body.path("beneficiary");
        check(beneficiary.isObject() && !beneficiary.isEmpty(), "beneficiary", "must be a non-empty object");

        Payout<Request> payout = simulator.create(key, new Request(amount, currency, beneficiary), amount,
                () -> "po_" + UUID.randomUUID().toString().replace("-", ""));
        return ResponseEntity.status(201).body(view(payout, Payout.Phase.PENDING, payout.amount(),
                simulator.now()));
    }

    @GetMapping("/{id}")
    Map<String, Object> status(@RequestHeader(name = "X-Api-Key", required = false) String apiKey,
            @PathVariable String rail, @PathVariable String id) {
        Rail<Request> simulator = rail(rail, apiKey);
        Payout<Request> payout = simulator.byId(id).orElseThrow(() -> RailError.notFound("payout " + id));
        return view(payout, simulator.phase(payout), payout.amount(), simulator.now());
    }

    @PostMapping("/{id}/refunds")
    ResponseEntity<Object> refund(@RequestHeader(name = "X-Api-Key", required = false) String apiKey,
            @PathVariable String rail, @PathVariable String id, @RequestBody JsonNode body) {
        Rail<Request> simulator = rail(rail, apiKey);
        String key = text(body, "/idempotency_key");
        check(key != null && KEY.matcher(key).matches(), "idempotency_key", "must be 1 to 64 letters, digits, - or _");
        Payout<Request> payout = simulator.payoutById(id).orElseThrow(() -> RailError.notFound("payout " + id));
        int scale = "USDC".equals(payout.detail().currency()) ? 6 : 2;
        BigDecimal amount = amount(scalar(body, "/amount"), scale);
        check(amount != null, "amount", "must be positive with at most " + scale + " decimals");
        RailRefund<Request> refund = simulator.refund(payout, key, amount,
                () -> "rf_" + UUID.randomUUID().toString().replace("-", ""));
        return ResponseEntity.status(201).body(refundView(refund, Payout.Phase.PENDING));
    }

    @GetMapping("/{id}/refunds/{refundId}")
    Map<String, Object> refundStatus(@RequestHeader(name = "X-Api-Key", required = false) String apiKey,
            @PathVariable String rail, @PathVariable String id, @PathVariable String refundId) {
        Rail<Request> simulator = rail(rail, apiKey);
        RailRefund<Request> refund = simulator.refundById(refundId).filter(r -> r.payout().id().equals(id))
                .orElseThrow(() -> RailError.notFound("refund " + refundId + " of payout " + id));
        return refundView(refund, refund.phase(simulator.now()));
    }

    private static Map<String, Object> refundView(RailRefund<Request> refund, Payout.Phase phase) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("id", refund.id());
        view.put("payout_id", refund.payout().id());
        view.put("idempotency_key", refund.key());
        view.put("status", switch (phase) {
            case PENDING -> "PENDING";
            case SETTLED, RETURNED -> "REFUNDED";
            case FAILED -> "REJECTED";
        });
        view.put("amount", refund.amount().toPlainString());
        view.put("currency", refund.payout().detail().currency());
        view.put("created_at", refund.createdAt().toString());
        return view;
    }

    /** The statement reconciliation reads: payouts created in [from, to). */
    @GetMapping
    Map<String, Object> list(@RequestHeader(name = "X-Api-Key", required = false) String apiKey,
            @PathVariable String rail, @RequestParam(required = false) String from,
            @RequestParam(required = false) String to) {
        Rail<Request> simulator = rail(rail, apiKey);
        return Map.of("payouts", simulator.statement(time(from, "from", Instant.EPOCH),
                time(to, "to", simulator.now().plusSeconds(1))).stream()
                .map(p -> view(p, simulator.phase(p), p.statementAmount(), simulator.now())).toList());
    }

    private Rail<Request> rail(String name, String apiKey) {
        if (!Sandbox.isValidName(name) || Sandbox.BUILT_IN.contains(name)) {
            throw RailError.notFound("template rail '" + name + "' (circle, pix, spei and base have their own)");
        }
        requireHeader(apiKey, "X-Api-Key");
        return sandbox.rail(name);
    }

    private static Map<String, Object> view(Payout<Request> payout, Payout.Phase phase, BigDecimal amount,
            Instant now) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("id", payout.id());
        view.put("idempotency_key", payout.key());
        view.put("status", switch (phase) {
            case PENDING -> "PENDING";
            case SETTLED -> "PAID";
            case FAILED -> "REJECTED";
            case RETURNED -> payout.partlyReturned(now) ? "PARTIALLY_REVERSED" : "REVERSED";
        });
        view.put("amount", amount.toPlainString());
        view.put("currency", payout.detail().currency());
        view.put("beneficiary", payout.detail().beneficiary());
        if (phase == Payout.Phase.FAILED) {
            view.put("failure_reason", Objects.requireNonNullElse(payout.failReason(), "beneficiary_account_closed"));
        } else if (phase == Payout.Phase.RETURNED && payout.partlyReturned(now)) {
            view.put("returned_amount", payout.returnedBy(now).toPlainString());
        } else if (phase == Payout.Phase.RETURNED) {
            view.put("failure_reason", "returned_by_beneficiary_bank");
        }
        view.put("created_at", payout.createdAt().toString());
        view.put("updated_at", payout.changedAt(phase, now).toString());
        return view;
    }

    @Override
    ResponseEntity<Object> render(RailError error) {
        Map<String, Object> detail = new LinkedHashMap<>();
        detail.put("code", error.kind().name().toLowerCase());
        detail.put("message", error.getMessage());
        if (error.field() != null) {
            detail.put("field", error.field());
        }
        return ResponseEntity.status(error.status()).body(Map.of("error", detail));
    }
}
