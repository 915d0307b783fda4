package io.railyard.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import org.springframework.http.HttpHeaders;
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
 * Circle Payouts API (v1) simulator: wire (USD) and address-book (USDC) payouts from a wallet. Statuses pending →
 * complete | failed; a returned payout reads failed with {@code errorCode: transaction_returned} and a {@code return}.
 * A payout returned in part ({@code return_share}) stays complete, its {@code return.amount} less than its amount; when
 * the rest follows ({@code return_rest_after_ms}) the return's amount is the whole payout and the payout reads returned.
 * The payer's return of a complete payout is asked with POST {@code /{id}/returns} (idempotent on its
 * {@code idempotencyKey}) and read with GET {@code /{id}/returns/{returnId}}: pending → complete | failed.
 */
@RestController
@SandboxEnabled
@RequestMapping("/sandbox/circle/v1/payouts")
class CircleSandbox extends RailEndpoint {

    private static final Set<String> DESTINATIONS = Set.of("address_book", "wire");
    private static final Map<String, Integer> SCALES = Map.of("USD", 2, "USDC", 6);
    static final int MAX_BULK = 1000;

    record Order(String sourceWalletId, String destinationType, String destinationId, BigDecimal amount,
            String currency, JsonNode metadata) {
    }

    private final Rail<Order> rail;

    CircleSandbox(Sandbox sandbox) {
        this.rail = sandbox.rail("circle");
    }

    @PostMapping
    ResponseEntity<Object> create(@RequestHeader(name = HttpHeaders.AUTHORIZATION, required = false) String auth,
            @RequestBody JsonNode body) {
        requireBearer(auth);
        String key = key(body, "");
        Order order = order(body, source(body), "");
        Payout<Order> payout = rail.create(key, order, order.amount(), () -> UUID.randomUUID().toString());
        // Creation always answers pending, replays included: the outcome is read with GET.
        return ResponseEntity.status(201).body(Map.of("data", view(payout, Payout.Phase.PENDING, payout.amount())));
    }

    /**
     * Bulk payouts (the sandbox's extension in Circle's shape; Circle's public v1 API pays one by one): one request,
     * up to {@value #MAX_BULK} payouts from one wallet, each with its own idempotencyKey and outcome; the bulk's own
     * idempotencyKey makes the whole request execute once.
     */
    @PostMapping("/bulk")
    ResponseEntity<Object> createBulk(@RequestHeader(name = HttpHeaders.AUTHORIZATION, required = false) String auth,
            @RequestBody JsonNode body) {
        requireBearer(auth);
        String key = key(body, "");
        String source = source(body);
        JsonNode payouts = body.path("payouts");
        check(payouts.isArray() && !payouts.isEmpty() && payouts.size() <= MAX_BULK, "payouts",
                "must be 1 to " + MAX_BULK + " payouts");
        List<Bulk.Line<Order>> lines = new ArrayList<>();
        Set<String> keys = new HashSet<>();
        for (int i = 0; i < payouts.size(); i++) {
            String prefix = "payouts[" + i + "].";
            String lineKey = key(payouts.get(i), prefix);
            check(keys.add(lineKey), prefix + "idempotencyKey", "is used by another payout of the bulk");
            Order order = order(payouts.get(i), source, prefix);
            lines.add(new Bulk.Line<>(lineKey, order, order.amount()));
        }
        Bulk<Order> bulk = rail.createBulk(key, lines, () -> UUID.randomUUID().toString());
        return ResponseEntity.status(201).body(Map.of("data", bulkView(bulk)));
    }

    @GetMapping("/bulk/{id}")
    Map<String, Object> bulkStatus(@RequestHeader(name = HttpHeaders.AUTHORIZATION, required = false) String auth,
            @PathVariable String id) {
        requireBearer(auth);
        return Map.of("data", bulkView(rail.bulkById(id).orElseThrow(() -> RailError.notFound("bulk " + id))));
    }

    private Map<String, Object> bulkView(Bulk<Order> bulk) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("id", bulk.id());
        view.put("idempotencyKey", bulk.key());
        view.put("status", bulk.pending(rail.now()) ? "pending" : "complete");
        view.put("payouts", bulk.payouts().stream().map(p -> {
            Map<String, Object> line = new LinkedHashMap<>(view(p, rail.phase(p), p.amount()));
            line.put("idempotencyKey", p.key());
            return line;
        }).toList());
        view.put("createDate", bulk.createdAt().toString());
        return view;
    }

    private static String key(JsonNode node, String prefix) {
        String key = text(node, "/idempotencyKey");
        check(key != null && UUID_FORMAT.matcher(key).matches(), prefix + "idempotencyKey", "must be a UUID");
        return key;
    }

    private static String source(JsonNode body) {
        check("wallet".equals(text(body, "/source/type")), "source.type", "must be wallet");
        String source = text(body, "/source/id");
        check(source != null, "source.id", "may not be empty");
        return source;
    }

    /** A payout's destination, amount and metadata, checked; {@code prefix} names its place in a bulk. */
    private static Order order(JsonNode node, String source, String prefix) {
        String destinationType = text(node, "/destination/type");
        check(DESTINATIONS.contains(destinationType), prefix + "destination.type", "must be one of " + DESTINATIONS);
        String destination = text(node, "/destination/id");
        check(destination != null, prefix + "destination.id", "may not be empty");
        String currency = text(node, "/amount/currency");
        check(SCALES.containsKey(currency), prefix + "amount.currency", "must be USD or USDC");
        BigDecimal amount = amount(text(node, "/amount/amount"), SCALES.get(currency));
        check(amount != null, prefix + "amount.amount", "must be a positive decimal string with at most "
                + SCALES.get(currency) + " decimals");
        JsonNode metadata = node.path("metadata");
        check(metadata.isMissingNode() || metadata.isObject(), prefix + "metadata", "must be an object");
        return new Order(source, destinationType, destination, amount, currency, metadata);
    }

    @GetMapping("/{id}")
    Map<String, Object> status(@RequestHeader(name = HttpHeaders.AUTHORIZATION, required = false) String auth,
            @PathVariable String id) {
        requireBearer(auth);
        Payout<Order> payout = rail.byId(id).orElseThrow(() -> RailError.notFound("payout " + id));
        return Map.of("data", view(payout, rail.phase(payout), payout.amount()));
    }

    @PostMapping("/{id}/returns")
    ResponseEntity<Object> requestReturn(@RequestHeader(name = HttpHeaders.AUTHORIZATION, required = false) String auth,
            @PathVariable String id, @RequestBody JsonNode body) {
        requireBearer(auth);
        String key = text(body, "/idempotencyKey");
        check(key != null && UUID_FORMAT.matcher(key).matches(), "idempotencyKey", "must be a UUID");
        Payout<Order> payout = rail.payoutById(id).orElseThrow(() -> RailError.notFound("payout " + id));
        String currency = text(body, "/amount/currency");
        check(payout.detail().currency().equals(currency), "amount.currency", "must be the payout's currency");
        BigDecimal amount = amount(text(body, "/amount/amount"), SCALES.get(currency));
        check(amount != null, "amount.amount", "must be a positive decimal string with at most "
                + SCALES.get(currency) + " decimals");
        RailRefund<Order> returned = rail.refund(payout, key, amount, () -> UUID.randomUUID().toString());
        return ResponseEntity.status(201).body(Map.of("data", returnView(returned, Payout.Phase.PENDING)));
    }

    @GetMapping("/{id}/returns/{returnId}")
    Map<String, Object> returnStatus(@RequestHeader(name = HttpHeaders.AUTHORIZATION, required = false) String auth,
            @PathVariable String id, @PathVariable String returnId) {
        requireBearer(auth);
        RailRefund<Order> returned = rail.refundById(returnId).filter(r -> r.payout().id().equals(id))
                .orElseThrow(() -> RailError.notFound("return " + returnId + " of payout " + id));
        return Map.of("data", returnView(returned, returned.phase(rail.now())));
    }

    private static Map<String, Object> returnView(RailRefund<Order> returned, Payout.Phase phase) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("id", returned.id());
        view.put("payoutId", returned.payout().id());
        view.put("amount", money(returned.amount(), returned.payout().detail().currency()));
        view.put("reason", "refund_requested");
        view.put("status", switch (phase) {
            case PENDING -> "pending";
            case SETTLED, RETURNED -> "complete";
            case FAILED -> "failed";
        });
        if (phase == Payout.Phase.FAILED) {
            view.put("errorCode", "return_denied");
        }
        view.put("createDate", returned.createdAt().toString());
        return view;
    }

    /** The statement reconciliation reads: payouts created in [from, to). */
    @GetMapping
    Map<String, Object> list(@RequestHeader(name = HttpHeaders.AUTHORIZATION, required = false) String auth,
            @RequestParam(required = false) String from, @RequestParam(required = false) String to) {
        requireBearer(auth);
        List<Payout<Order>> payouts = rail.statement(time(from, "from", Instant.EPOCH),
                time(to, "to", rail.now().plusSeconds(1)));
        return Map.of("data", payouts.stream().map(p -> view(p, rail.phase(p), p.statementAmount())).toList());
    }

    private Map<String, Object> view(Payout<Order> payout, Payout.Phase phase, BigDecimal amount) {
        Order order = payout.detail();
        Instant now = rail.now();
        boolean partlyReturned = payout.partlyReturned(now);
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("id", payout.id());
        view.put("sourceWalletId", order.sourceWalletId());
        view.put("destination", Map.of("type", order.destinationType(), "id", order.destinationId()));
        view.put("amount", money(amount, order.currency()));
        view.put("status", switch (phase) {
            case PENDING -> "pending";
            case SETTLED -> "complete";
            case FAILED -> "failed";
            case RETURNED -> partlyReturned ? "complete" : "failed"; // returned in part, the payout stands
        });
        if (phase == Payout.Phase.FAILED) {
            view.put("errorCode", Objects.requireNonNullElse(payout.failReason(), "transaction_denied"));
        } else if (phase == Payout.Phase.RETURNED) {
            if (!partlyReturned) {
                view.put("errorCode", "transaction_returned");
            }
            // one return object: its amount is what came back so far (part of the payout, or all of it)
            Map<String, Object> returned = new LinkedHashMap<>();
            returned.put("id", UUID.nameUUIDFromBytes(("return:" + payout.id())
                    .getBytes(StandardCharsets.UTF_8)).toString());
            returned.put("payoutId", payout.id());
            returned.put("amount", money(payout.returnedBy(now), order.currency()));
            returned.put("fees", money(BigDecimal.ZERO, order.currency()));
            returned.put("reason", "payment_returned");
            returned.put("status", "complete");
            returned.put("createDate", payout.returnedAt().toString());
            returned.put("updateDate", payout.changedAt(phase, now).toString());
            view.put("return", returned);
        }
        List<RailRefund<Order>> returns = rail.refundsOf(payout);
        if (!returns.isEmpty()) { // returns the hub asked for, with the payout (and so on statements)
            view.put("returns", returns.stream().map(r -> returnView(r, r.phase(now))).toList());
        }
        view.put("createDate", payout.createdAt().toString());
        view.put("updateDate", payout.changedAt(phase, now).toString());
        return view;
    }

    /** Circle writes amounts with at least two decimals and no trailing zeros beyond ("12.50", "0.123456"). */
    private static Map<String, String> money(BigDecimal amount, String currency) {
        BigDecimal plain = amount.stripTrailingZeros();
        return Map.of("amount", plain.setScale(Math.max(2, plain.scale())).toPlainString(), "currency", currency);
    }

    @Override
    ResponseEntity<Object> render(RailError error) {
        // Circle: {"code": 2, "message": ...} for an invalid entity, the HTTP status as code otherwise.
        boolean invalid = error.kind() == RailError.Kind.INVALID || error.kind() == RailError.Kind.MALFORMED;
        String message = invalid ? "Invalid entity. " + error.getMessage() : error.getMessage();
        return ResponseEntity.status(error.status()).body(Map.of("code", invalid ? 2 : error.status(),
                "message", message));
    }
}
