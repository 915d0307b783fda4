package io.railyard.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.util.RawValue;
import io.railyard.HubTest;
import io.railyard.transfer.TransferFixtures;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.AfterProperty;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.TestContextManager;

/**
 * Fuzz: more than 10,000 malformed or hostile requests (fixed seeds, so reproducible) across every partner and ops
 * write route. Each answer must be a 4xx {@code application/problem+json} with a stable {@code type}/{@code code} and
 * no stack trace; after each property not one row of the money, partner, webhook, window or audit tables has changed
 * (idempotency records may only gain stored 4xx answers, which the IETF draft asks to replay). The partner is funded,
 * and a valid transfer is accepted at the end, so the refusals come from the input, not from the caller.
 */
class HostileInputProperties extends HubTest {

    private static final String SEED = "20261126";
    private static final int MAX_BODY = 2_097_152;
    private static final String NO_TYPE = "(no Content-Type)";
    /** Rows only a request can create: counted across the whole database. */
    private static final List<String> TABLES = List.of("transfers", "batches", "batch_items", "partners", "api_keys",
            "window_overrides", "ops_audit", "webhook_endpoints");
    /**
     * Rows the hub's own background work also writes (settlement, rechecks and return watches of earlier suites'
     * transfers, on their own backoff): counted for the fuzzing partner only, whose every write is refused.
     */
    private static final Map<String, String> PARTNER_ROWS = Map.of(
            "transfer_transitions", "select count(*) from transfer_transitions t join transfers x on x.id = t.transfer_id"
                    + " where x.partner_id = ?::uuid",
            "postings", "select count(*) from postings p join ledger_accounts a on a.id = p.account_id"
                    + " where a.owner_type = 'PARTNER' and a.owner_id = ?",
            "ledger_accounts", "select count(*) from ledger_accounts where owner_type = 'PARTNER' and owner_id = ?",
            "outbox_events", "select count(*) from outbox_events where strpos(payload::text, ?) > 0",
            "webhook_deliveries", "select count(*) from webhook_deliveries d join webhook_endpoints e"
                    + " on e.id = d.endpoint_id where e.partner_id = ?::uuid");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final Map<Integer, AtomicInteger> STATUSES = new TreeMap<>();
    private static final Map<String, AtomicInteger> CODES = new TreeMap<>();
    private static final List<String> CHANGES = new ArrayList<>();
    private static int sent;

    private static HostileInputProperties hub;
    private static TestPartner partner;
    private static String ops;
    private static String endpointId;
    private static Map<String, Long> baseline;

    /** One request: its route, content type (null = none) and raw body bytes. */
    record Hostile(String method, String path, String contentType, byte[] body, String what) {
        @Override
        public String toString() {
            String text = new String(body, StandardCharsets.UTF_8);
            return method + " " + path + " [" + contentType + "] " + what + ": "
                    + (text.length() > 300 ? text.substring(0, 300) + "…(" + body.length + " bytes)" : text);
        }
    }

    @BeforeContainer
    static void startHub() throws Exception {
        TestContextManager manager = new TestContextManager(HostileInputProperties.class);
        hub = new HostileInputProperties();
        manager.prepareTestInstance(hub);
        partner = hub.newPartner("1000000 USD", "1000000 BRL", "1000000 MXN", "1000000 USDC");
        ops = hub.opsAuthorization();
        Reply endpoint = hub.call("POST", "/v1/webhooks/endpoints").as(partner)
                .json(Map.of("url", "http://localhost:" + hub.port + "/nowhere", "event_types", List.of("batch.completed")))
                .send();
        assertThat(endpoint.status()).as(endpoint.toString()).isEqualTo(201);
        endpointId = endpoint.json().get("id").asText();
        baseline = quietSnapshot();
    }

    /** Checked after each property; a change is recorded (and the baseline moved on) so the property's own failure shows. */
    @AfterProperty
    void nothingChanged() throws InterruptedException {
        Map<String, Long> after = snapshot();
        if (!after.equals(baseline)) {
            CHANGES.add(baseline + " → " + after);
            baseline = quietSnapshot();
        }
    }

    @AfterContainer
    static void report() {
        System.out.printf("HostileInputProperties: %d hostile requests sent; statuses %s; codes %s%n", sent, STATUSES,
                CODES);
        assertThat(CHANGES).as("rows changed by refused requests").isEmpty();
        assertThat(sent).as("hostile requests sent").isGreaterThanOrEqualTo(10_000);
        // the same partner, with a valid body, is served: the refusals came from the input
        Reply valid = hub.call("POST", "/v1/transfers").as(partner).header("Idempotency-Key", UUID.randomUUID().toString())
                .json(TransferFixtures.pix("10.00")).send();
        assertThat(valid.status()).as(valid.toString()).isEqualTo(201);
    }

    // ---------------------------------------------------------------- properties, one per route family

    @Property(tries = 3600, seed = SEED, shrinking = ShrinkingMode.OFF)
    void singleTransfersAreRefused(@ForAll("transferBodies") Hostile request) {
        assertRefused(request);
    }

    @Property(tries = 1500, seed = SEED, shrinking = ShrinkingMode.OFF)
    void jsonBatchesAreRefused(@ForAll("jsonBatches") Hostile request) {
        assertRefused(request);
    }

    @Property(tries = 1500, seed = SEED, shrinking = ShrinkingMode.OFF)
    void csvAndMultipartBatchesAreRefused(@ForAll("csvBatches") Hostile request) {
        assertRefused(request);
    }

    @Property(tries = 600, seed = SEED, shrinking = ShrinkingMode.OFF)
    void cancelsOfUnknownOrMalformedIdsAreRefused(@ForAll("cancels") Hostile request) {
        assertRefused(request);
    }

    @Property(tries = 1500, seed = SEED, shrinking = ShrinkingMode.OFF)
    void webhookWritesAreRefused(@ForAll("webhookWrites") Hostile request) {
        assertRefused(request);
    }

    @Property(tries = 1500, seed = SEED, shrinking = ShrinkingMode.OFF)
    void opsWritesAreRefused(@ForAll("opsWrites") Hostile request) {
        assertRefused(request);
    }

    @Property(tries = 24, seed = SEED, shrinking = ShrinkingMode.OFF)
    void oversizeBodiesAreRefused(@ForAll("oversize") Hostile request) {
        Reply reply = assertRefused(request);
        assertThat(reply.status()).as(request.toString()).isEqualTo(413);
    }

    /** Paths Tomcat itself refuses (sent byte for byte: an HTTP client would encode or normalise them) and their kin. */
    @Property(tries = 400, seed = SEED, shrinking = ShrinkingMode.OFF)
    void malformedPathsAreRefused(@ForAll("rawRequestLines") String requestLine) {
        assertProblem(requestLine, RawHttp.send(hub.port, requestLine, partner.bearer()));
    }

    // ---------------------------------------------------------------- the oracle

    private static Reply assertRefused(Hostile request) {
        Reply reply = send(request);
        assertProblem(request.toString(), new RawHttp.Answer(reply.status(), reply.contentType(), reply.body()));
        return reply;
    }

    private static void assertProblem(String request, RawHttp.Answer reply) {
        String body = reply.body();
        assertThat(reply.status()).as("%s\n→ %s", request, reply).isBetween(400, 499);
        assertThat(reply.contentType()).as("%s\n→ %s", request, reply).startsWith(Problem.MEDIA_TYPE);
        assertThat(body).as("%s\n→ %s", request, reply).doesNotContain("Exception").doesNotContain("at io.railyard")
                .doesNotContain("at org.").doesNotContain("at java.").doesNotContain("Tomcat");
        JsonNode problem;
        try {
            problem = JSON.readTree(body);
        } catch (IOException e) {
            throw new AssertionError(request + "\n→ not JSON: " + reply, e);
        }
        assertThat(problem.path("status").asInt()).as(body).isEqualTo(reply.status());
        assertThat(problem.path("code").asText()).as(body).matches("[a-z0-9_]+");
        assertThat(problem.path("type").asText()).as(body)
                .isEqualTo(Problem.TYPE_BASE + problem.path("code").asText().replace('_', '-'));
        synchronized (STATUSES) {
            sent++;
            STATUSES.computeIfAbsent(reply.status(), s -> new AtomicInteger()).incrementAndGet();
            CODES.computeIfAbsent(problem.path("code").asText(), s -> new AtomicInteger()).incrementAndGet();
        }
    }

    private static Reply send(Hostile request) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create("http://localhost:" + hub.port + request.path()))
                .timeout(Duration.ofSeconds(30))
                .method(request.method(), HttpRequest.BodyPublishers.ofByteArray(request.body()))
                .header("Idempotency-Key", UUID.randomUUID().toString())
                .header("Authorization", request.path().startsWith("/v1/ops/") ? ops : partner.bearer());
        if (request.contentType() != null && !request.contentType().equals(NO_TYPE)) {
            builder.header("Content-Type", request.contentType());
        }
        try {
            return new Reply(HTTP.send(builder.build(), HttpResponse.BodyHandlers.ofString()));
        } catch (IOException e) {
            throw new UncheckedIOException(request.toString(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, Long> snapshot() {
        JdbcClient jdbc = hub.jdbc;
        Map<String, Long> counts = new TreeMap<>();
        for (String table : TABLES) {
            counts.put(table, jdbc.sql("select count(*) from " + table).query(Long.class).single());
        }
        PARTNER_ROWS.forEach((table, sql) -> counts.put(table + " (fuzzing partner)",
                jdbc.sql(sql).param(partner.id().toString()).query(Long.class).single()));
        // a refused request may be remembered for replay, but never as a success
        counts.put("idempotency_records below 400", jdbc.sql("select count(*) from idempotency_records where status_code < 400")
                .query(Long.class).single());
        return counts;
    }

    /** Counts once the hub is quiet (earlier suites in the same JVM may still be settling their transfers). */
    private static Map<String, Long> quietSnapshot() throws InterruptedException {
        Map<String, Long> previous = snapshot();
        for (int i = 0; i < 60; i++) {
            Thread.sleep(1000);
            Map<String, Long> now = snapshot();
            if (now.equals(previous)) {
                return now;
            }
            previous = now;
        }
        throw new IllegalStateException("the hub never went quiet: " + previous);
    }

    // ---------------------------------------------------------------- generators: values

    private static Arbitrary<String> unicode() {
        return Arbitraries.strings().all().ofMinLength(1).ofMaxLength(40);
    }

    private static Arbitrary<String> sqlInjection() {
        return Arbitraries.of("' OR '1'='1", "'; DROP TABLE transfers; --", "1; DELETE FROM postings",
                "\" OR 1=1 --", "x' UNION SELECT key_hash FROM api_keys --", "'); TRUNCATE journal_entries; --",
                "$$; update ledger_accounts set balance_minor = 1e9; $$", "\\'; select pg_sleep(10); --");
    }

    private static Arbitrary<String> formula() {
        return Combinators.combine(Arbitraries.of("=", "+", "-", "@", "\t=", "\r="),
                Arbitraries.of("cmd|' /C calc'!A0", "HYPERLINK(\"http://evil\",\"x\")", "1+2", "SUM(1+1)*cmd|x",
                        "2+5+cmd|' /C notepad'!'A1'", "WEBSERVICE(\"http://evil\")"))
                .as(String::concat);
    }

    /** A JSON value of the wrong type for a string field (arrays and objects: Jackson coerces scalars to text). */
    private static Arbitrary<Object> notAString() {
        return Arbitraries.of(List.of(), List.of(1, 2), Map.of(), Map.of("a", 1), List.of("x"));
    }

    private static Arbitrary<Object> hostileAmount() {
        return Arbitraries.oneOf(
                Arbitraries.of("0", "0.00", "-1.00", "-0.01", "1.2345678", "0.0000001", "10.0000005", "1e400", "NaN", "Infinity",
                        "-Infinity", "", " ", "12,50", "1_000", "0x10", "١٢٣", "10.00 USD", "+-1", "1e-400", "--1"),
                Arbitraries.of(raw("1e400"), raw("1E+999999999"), raw("-1e400"), raw("123456789012345678901234"),
                        raw("99999999999999999999.99"), raw("-5"), raw("0"), raw("-0.0"), raw("1.0e-7"),
                        raw("0.000000000000000000000000001"), raw("92233720368547758.08")),
                Arbitraries.of(true, false, List.of(), Map.of(), List.of("10.00")),
                Arbitraries.strings().numeric().ofMinLength(21).ofMaxLength(60),
                Arbitraries.bigDecimals().between(new java.math.BigDecimal("-1e12"), java.math.BigDecimal.ZERO)
                        .ofScale(2).map(java.math.BigDecimal::toPlainString),
                Arbitraries.bigDecimals().between(java.math.BigDecimal.ONE, new java.math.BigDecimal("1000"))
                        .ofScale(7).filter(d -> d.stripTrailingZeros().scale() > 6).map(java.math.BigDecimal::toPlainString),
                unicode().filter(s -> !s.strip().matches("[0-9.]+")),
                sqlInjection());
    }

    private static Arbitrary<Object> unknownCurrency() {
        return Arbitraries.oneOf(Arbitraries.of("EUR", "XXX", "US D", "USDT", "BTC", "", " ", "U$D", "ＵＳＤ", "USD\u0000"),
                unicode().filter(s -> !List.of("USD", "BRL", "MXN", "USDC").contains(s.strip().toUpperCase())),
                sqlInjection(), notAString());
    }

    private static String clabeWithBadCheckDigit(String seventeen) {
        int[] weights = {3, 7, 1};
        int sum = 0;
        for (int i = 0; i < 17; i++) {
            sum += (seventeen.charAt(i) - '0') * weights[i % 3] % 10;
        }
        int check = (10 - sum % 10) % 10;
        return seventeen + (check + 1 + seventeen.charAt(0) % 9) % 10;
    }

    private static String flipCase(String address, int position) {
        char[] chars = address.toCharArray();
        for (int i = 0; i < 40; i++) {
            int at = 2 + (position + i) % 40;
            if (Character.isLetter(chars[at])) {
                chars[at] = Character.isUpperCase(chars[at]) ? Character.toLowerCase(chars[at])
                        : Character.toUpperCase(chars[at]);
                return new String(chars);
            }
        }
        throw new IllegalStateException(address);
    }

    private static RawValue raw(String json) {
        return new RawValue(json);
    }

    // ---------------------------------------------------------------- generators: transfer bodies

    /** A valid transfer (any rail and protocol) turned invalid by one hostile change. */
    private static Arbitrary<Map<String, Object>> invalidTransfer() {
        Arbitrary<Map<String, Object>> valid = Arbitraries.of("pix", "spei", "base", "circle", "usd", "x402", "ap2")
                .map(HostileInputProperties::validTransfer);
        Arbitrary<UnaryOperator<Map<String, Object>>> change = Arbitraries.oneOf(
                hostileAmount().map(v -> put("amount", v)),
                unknownCurrency().map(v -> put("currency", v)),
                unknownCurrency().map(v -> putIn("destination", "currency", v)),
                Arbitraries.oneOf(formula(), sqlInjection(), Arbitraries.strings().ofMinLength(65).ofMaxLength(300)
                        .alpha(), unicode().filter(s -> !s.matches("[\\p{Alnum} ._:/#-]{1,64}")),
                        Arbitraries.of("", "\t", "\n")).map(v -> put("reference", v)),
                notAString().map(v -> put("reference", v)),
                Arbitraries.oneOf(formula(), Arbitraries.of("\"quoted\"", "back\\slash", "tab\there", "nul\u0000",
                        "", "   ", "x".repeat(141))).map(v -> putIn("destination", "name", v)),
                Arbitraries.oneOf(unicode().filter(s -> !List.of("api", "x402", "ap2", "acp").contains(s)),
                        Arbitraries.of("x403", "", "null", "api2")).map(v -> put("protocol", v)),
                Arbitraries.of("string", 1, true, List.of(), raw("null")).map(v -> put("destination", v)),
                Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(20)
                        .map(k -> (UnaryOperator<Map<String, Object>>) body -> {
                            body.put("x_" + k, "surprise");
                            return body;
                        }),
                Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(20).map(k -> putIn("destination", "x_" + k, "1")),
                Arbitraries.of(raw("{\"a\":{\"b\":{\"c\":[[[[[[1]]]]]]}}"), "1", raw("[]"))
                        .map(v -> put("protocol_metadata", v)));
        Arbitrary<UnaryOperator<Map<String, Object>>> destination = Arbitraries.oneOf(
                Arbitraries.oneOf(Arbitraries.of("52998224724", "52998224735", "11111111111", "+5511", "+55abc",
                        "not-an-email", "00000000000000", "123e4567-e89b-12d3-a456-42661417400"),
                        sqlInjection(), unicode().filter(s -> !s.contains("@"))).map(v -> pixDestination("pix_key", v)),
                Arbitraries.strings().numeric().ofLength(17).map(HostileInputProperties::clabeWithBadCheckDigit)
                        .map(v -> speiDestination(v)),
                Arbitraries.oneOf(Arbitraries.of("03218000011835971", "0321800001183597190", "03218000011835971X",
                        "032 180 000 118 359 719"), sqlInjection(), unicode()).map(v -> speiDestination(v)),
                Arbitraries.integers().between(0, 39).map(i -> baseDestination(flipCase(TransferFixtures.BASE_ADDRESS, i))),
                Arbitraries.oneOf(Arbitraries.of("0x", "0x123", "5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
                        "0xZZAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed00"),
                        unicode(), sqlInjection()).map(HostileInputProperties::baseDestination));
        return Combinators.combine(valid, Arbitraries.oneOf(change, destination)).as((body, op) -> op.apply(body));
    }

    private static Map<String, Object> validTransfer(String kind) {
        Map<String, Object> body = switch (kind) {
            case "pix" -> TransferFixtures.pix("10.00");
            case "spei" -> TransferFixtures.spei("10.00");
            case "base" -> TransferFixtures.base("10.00");
            case "circle" -> TransferFixtures.circle("10.00");
            case "usd" -> TransferFixtures.usdWire("10.00");
            case "x402" -> TransferFixtures.x402(TransferFixtures.pix("10.00"));
            default -> TransferFixtures.ap2(TransferFixtures.spei("10.00"));
        };
        body.put("reference", "fuzz-1");
        body.put("destination", new LinkedHashMap<>((Map<?, ?>) body.get("destination")));
        return body;
    }

    private static UnaryOperator<Map<String, Object>> put(String field, Object value) {
        return body -> {
            body.put(field, value);
            return body;
        };
    }

    @SuppressWarnings("unchecked")
    private static UnaryOperator<Map<String, Object>> putIn(String object, String field, Object value) {
        return body -> {
            ((Map<String, Object>) body.get(object)).put(field, value);
            return body;
        };
    }

    private static UnaryOperator<Map<String, Object>> pixDestination(String field, Object value) {
        return body -> withDestination(TransferFixtures.pix("10.00"), field, value);
    }

    private static UnaryOperator<Map<String, Object>> speiDestination(Object clabe) {
        return body -> withDestination(TransferFixtures.spei("10.00"), "clabe", clabe);
    }

    private static UnaryOperator<Map<String, Object>> baseDestination(Object address) {
        return body -> withDestination(TransferFixtures.base("10.00"), "address", address);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> withDestination(Map<String, Object> body, String field, Object value) {
        Map<String, Object> destination = new LinkedHashMap<>((Map<String, Object>) body.get("destination"));
        destination.put(field, value);
        body.put("destination", destination);
        body.put("reference", "fuzz-1");
        return body;
    }

    /** Bodies that are not a transfer at all: broken JSON, invalid UTF-8, duplicate keys, deep nesting. */
    private static Arbitrary<byte[]> brokenJson() {
        String valid = json(TransferFixtures.pix("10.00"));
        return Arbitraries.oneOf(
                Arbitraries.of("", " ", "null", "[]", "\"text\"", "123", "{", "{\"amount\":", "{\"amount\":\"10.00\",}",
                        "{'amount':'10.00'}", "{\"amount\":\"10.00\"}}", "{\"amount\" \"10.00\"}", "\u0000",
                        "{\"amount\":01.00}", "{\"amount\":NaN}", "/* c */{}", valid + "x", valid + valid)
                        .map(HostileInputProperties::utf8),
                Arbitraries.integers().between(1, valid.length() - 2).map(cut -> utf8(valid.substring(0, cut))),
                // duplicate keys: which amount would be paid?
                Arbitraries.of("\"amount\":\"1.00\",", "\"currency\":\"MXN\",", "\"reference\":\"other\",",
                        "\"destination\":{\"currency\":\"BRL\",\"country\":\"BR\",\"pix_key\":\"11144477735\"},")
                        .map(dup -> utf8(valid.replaceFirst("\\{", "{" + dup))),
                Arbitraries.integers().between(1100, 20_000).map(depth -> utf8("{\"amount\":\"10.00\",\"metadata\":"
                        + "{\"a\":".repeat(depth) + "1" + "}".repeat(depth) + "}")),
                Arbitraries.integers().between(1100, 20_000).map(depth -> utf8("[".repeat(depth) + "]".repeat(depth))),
                Arbitraries.of(new byte[] {(byte) 0xC3, 0x28}, new byte[] {(byte) 0xFF, (byte) 0xFE},
                        new byte[] {(byte) 0xC0, (byte) 0xAF}, new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
                        new byte[] {(byte) 0xE2, (byte) 0x82}, new byte[] {(byte) 0xF8, (byte) 0x88, (byte) 0x80,
                                (byte) 0x80, (byte) 0x80}, new byte[] {(byte) 0x80})
                        .map(bad -> invalidUtf8(valid, "Maria Silva", bad)));
    }

    private static byte[] invalidUtf8(String json, String inside, byte[] bad) {
        int at = json.indexOf(inside) + inside.length() / 2;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(utf8(json.substring(0, at)));
        out.writeBytes(bad);
        out.writeBytes(utf8(json.substring(at)));
        return out.toByteArray();
    }

    private static Arbitrary<String> badJsonContentType() {
        return Arbitraries.of(NO_TYPE, "", "text/plain", "application/xml", "garbage", "application/x-www-form-urlencoded",
                "json", "text/json", "multipart/form-data", "application/javascript", "*/*");
    }

    @Provide
    Arbitrary<Hostile> transferBodies() {
        Arbitrary<Hostile> fields = invalidTransfer()
                .map(body -> new Hostile("POST", "/v1/transfers", "application/json", utf8(json(body)), "field"));
        Arbitrary<Hostile> broken = brokenJson()
                .map(body -> new Hostile("POST", "/v1/transfers", "application/json", body, "broken JSON"));
        Arbitrary<Hostile> contentType = badJsonContentType().map(type -> new Hostile("POST", "/v1/transfers", type,
                utf8(json(validTransfer("pix"))), "content type"));
        return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(6, fields), net.jqwik.api.Tuple.of(3, broken),
                net.jqwik.api.Tuple.of(1, contentType));
    }

    // ---------------------------------------------------------------- batches

    @Provide
    Arbitrary<Hostile> jsonBatches() {
        Arbitrary<List<Object>> validItems = Arbitraries.of("pix", "spei", "base", "circle")
                .map(HostileInputProperties::validTransfer).list().ofMinSize(0).ofMaxSize(5)
                .map(items -> {
                    List<Object> numbered = new ArrayList<>();
                    for (int i = 0; i < items.size(); i++) {
                        items.get(i).put("reference", "fuzz-" + i);
                        numbered.add(items.get(i));
                    }
                    return numbered;
                });
        Arbitrary<Hostile> oneBad = Combinators.combine(validItems, invalidTransfer(), Arbitraries.integers().between(0, 5),
                Arbitraries.of("atomic", "partial")).as((items, bad, at, mode) -> {
                    List<Object> all = new ArrayList<>(items);
                    all.add(Math.min(at, all.size()), bad);
                    // partial mode would accept the valid items: there, every item is hostile
                    List<Object> sent = mode.equals("partial") ? List.of(bad) : all;
                    return new Hostile("POST", "/v1/transfers/batch?mode=" + mode, "application/json",
                            utf8(json(Map.of("items", sent))), "one bad item");
                });
        Arbitrary<Hostile> envelope = Arbitraries.oneOf(
                Arbitraries.of(Map.of("items", List.of()), Map.of("items", "x"), Map.of("items", Map.of()),
                        Map.of("items", List.of(1, 2)), Map.of("mode", "ATOMIC", "items", List.of(validTransfer("pix"))),
                        Map.of("mode", "everything", "items", List.of(validTransfer("pix"))),
                        Map.of("mode", List.of(), "items", List.of(validTransfer("pix"))),
                        Map.of("items", List.of(validTransfer("pix"), validTransfer("spei")), "extra", 1),
                        Map.of("items", List.of(validTransfer("pix"), validTransfer("pix"))), // duplicate references
                        Map.of()).map(body -> utf8(json(body))),
                brokenJson()).map(body -> new Hostile("POST", "/v1/transfers/batch", "application/json", body,
                "envelope"));
        Arbitrary<Hostile> tooLarge = Arbitraries.integers().between(1001, 1010).map(size -> {
            List<Object> items = new ArrayList<>();
            for (int i = 0; i < size; i++) {
                Map<String, Object> item = validTransfer("pix");
                item.put("reference", "fuzz-" + i);
                items.add(item);
            }
            return new Hostile("POST", "/v1/transfers/batch", "application/json", utf8(json(Map.of("items", items))),
                    "too many items");
        });
        Arbitrary<Hostile> contentType = Arbitraries.of(NO_TYPE, "", "text/plain", "application/xml", "garbage",
                "text/csvx", "image/png").map(type -> new Hostile("POST", "/v1/transfers/batch", type,
                utf8(json(Map.of("items", List.of(validTransfer("pix"))))), "content type"));
        return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(12, oneBad), net.jqwik.api.Tuple.of(6, envelope),
                net.jqwik.api.Tuple.of(1, tooLarge), net.jqwik.api.Tuple.of(2, contentType));
    }

    private static final String CSV_HEADER = "reference,amount,currency,destination_currency,clabe,name,pix_key";

    private static String csvRow(int i) {
        return i % 2 == 0 ? "r-" + i + ",10.50,BRL,BRL,,,52998224725" : "r-" + i + ",20.00,MXN,MXN,"
                + TransferFixtures.CLABE + ",\"Pérez, Juan\",";
    }

    @Provide
    Arbitrary<Hostile> csvBatches() {
        Arbitrary<String> badRow = Arbitraries.oneOf(
                Arbitraries.of("r-x,\"10.50,BRL,BRL,,,52998224725", "r-x,10.50,BRL,BRL,,,52998224725,extra,columns",
                        "r-x,10.50,BRL", "r-x;10.50;BRL;BRL;;;52998224725", "\"r-x\"x,10.50,BRL,BRL,,,52998224725",
                        "r-x,\"10\"\"50\",BRL,BRL,,,52998224725", "r-x,10.50,BRL,BRL,,,\"52998224725", "\"",
                        ",,,,,,"),
                hostileAmount().filter(v -> v instanceof String).map(v -> "r-x,\"" + ((String) v).replace("\"", "\"\"")
                        + "\",BRL,BRL,,,52998224725"),
                // CSV cells are trimmed (trim() also drops NUL and other control characters)
                unknownCurrency().filter(v -> v instanceof String && !((String) v).contains("\"") && !((String) v)
                        .contains("\n") && !List.of("USD", "BRL", "MXN", "USDC").contains(((String) v).trim())).map(v -> "r-x,10.50,\"" + v + "\",BRL,,,52998224725"),
                formula().map(f -> "\"" + f.replace("\"", "\"\"") + "\",10.50,BRL,BRL,,,52998224725"),
                formula().map(f -> "r-x,20.00,MXN,MXN," + TransferFixtures.CLABE + ",\"" + f.replace("\"", "\"\"")
                        + "\","),
                sqlInjection().map(s -> "r-x,10.50,BRL,BRL,,,\"" + s.replace("\"", "\"\"") + "\""),
                Arbitraries.strings().numeric().ofLength(17).map(s -> "r-x,20.00,MXN,MXN,"
                        + clabeWithBadCheckDigit(s) + ",Juan,"));
        Arbitrary<byte[]> csv = Arbitraries.oneOf(
                Combinators.combine(Arbitraries.integers().between(0, 4), badRow, Arbitraries.integers().between(0, 4))
                        .as((before, bad, after) -> {
                            StringBuilder text = new StringBuilder(CSV_HEADER).append('\n');
                            for (int i = 0; i < before; i++) {
                                text.append(csvRow(i)).append('\n');
                            }
                            text.append(bad).append('\n');
                            for (int i = 0; i < after; i++) {
                                text.append(csvRow(10 + i)).append('\n');
                            }
                            return utf8(text.toString());
                        }),
                // headers: unknown or duplicate columns, BOM variants (only one UTF-8 BOM is allowed), no rows
                Arbitraries.of("reference,amount,currency,destination_currency,pix_key,evil", "reference,amount",
                        "reference,amount,amount,currency,destination_currency,pix_key", "\uFEFF\uFEFF" + CSV_HEADER,
                        "refer\uFEFFence,amount,currency,destination_currency,clabe,name,pix_key",
                        "=cmd|' /C calc'!A0," + CSV_HEADER, "", "\n\n", "\"" + CSV_HEADER)
                        .map(header -> utf8(header + "\n" + csvRow(0) + "\n")),
                Arbitraries.of(new byte[] {(byte) 0xFE, (byte) 0xFF}, new byte[] {(byte) 0xFF, (byte) 0xFE},
                        new byte[] {0, 0, (byte) 0xFE, (byte) 0xFF}, new byte[] {(byte) 0xEF, (byte) 0xBB},
                        new byte[] {(byte) 0x2B, (byte) 0x2F, (byte) 0x76}).map(bom -> concat(bom,
                        utf8(CSV_HEADER + "\n" + csvRow(0) + "\n"))),
                Arbitraries.of(new byte[] {(byte) 0xC3, 0x28}, new byte[] {(byte) 0xFF}, new byte[] {(byte) 0xC0,
                        (byte) 0xAF}, new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80})
                        .map(bad -> concat(utf8(CSV_HEADER + "\n" + csvRow(1).replace("Juan", "Ju")), bad,
                                utf8("an\",\n"))),
                Arbitraries.of(utf16(CSV_HEADER + "\n" + csvRow(0) + "\n")));
        // atomic (the default): partial mode would rightly accept the valid rows around the hostile one
        Arbitrary<Hostile> plain = csv.map(body -> new Hostile("POST", "/v1/transfers/batch?mode=atomic", "text/csv",
                body, "csv"));
        Arbitrary<Hostile> multipart = csv.map(body -> multipart("file", body, "csv in multipart"));
        Arbitrary<Hostile> brokenMultipart = Arbitraries.of(
                new Hostile("POST", "/v1/transfers/batch", "multipart/form-data", utf8("--x\r\n\r\n"), "no boundary"),
                new Hostile("POST", "/v1/transfers/batch", "multipart/form-data; boundary=x", utf8("garbage"),
                        "no parts"),
                new Hostile("POST", "/v1/transfers/batch", "multipart/form-data; boundary=x",
                        utf8("--x\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n" + CSV_HEADER + "\n"),
                        "unterminated"),
                multipart("files", utf8(CSV_HEADER + "\n" + csvRow(0) + "\n"), "wrong field name"),
                multipart("other", utf8(CSV_HEADER + "\n" + csvRow(0) + "\n"), "wrong field name"));
        return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(6, plain), net.jqwik.api.Tuple.of(4, multipart),
                net.jqwik.api.Tuple.of(1, brokenMultipart));
    }

    private static Hostile multipart(String field, byte[] file, String what) {
        String boundary = "fuzz" + Integer.toHexString(java.util.Arrays.hashCode(file));
        byte[] body = concat(utf8("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + field
                + "\"; filename=\"batch.csv\"\r\nContent-Type: text/csv\r\n\r\n"), file, utf8("\r\n--" + boundary
                + "--\r\n"));
        return new Hostile("POST", "/v1/transfers/batch", "multipart/form-data; boundary=" + boundary, body, what);
    }

    // ---------------------------------------------------------------- cancels, webhooks, ops

    private static Arbitrary<String> hostileId() {
        return Arbitraries.oneOf(Arbitraries.create(() -> UUID.randomUUID().toString()),
                Arbitraries.of("abc", "1", "00000000-0000-0000-0000-000000000000", "%27%20OR%20%271%27%3D%271",
                        "1%3B%20DROP%20TABLE%20transfers", "x".repeat(300), "%E2%80%AE", "%2500",
                        "null", "-1", "%F0%9F%92%B8"),
                Arbitraries.strings().alpha().numeric().ofMinLength(1).ofMaxLength(60));
    }

    /**
     * A method and a path into a partner or ops route with something Tomcat (NUL, an encoded slash, a broken
     * or overlong %-escape, a backslash, a character not allowed in a URL) or Spring's firewall (encoded %, ;, ..)
     * refuses, in the path or the query.
     */
    @Provide
    Arbitrary<String> rawRequestLines() {
        Arbitrary<String> bad = Arbitraries.of("%00", "a%00b", "%2F", "a%2fb", "%5C", "%5c..%5c", "\\", "..\\x",
                "%", "%zz", "%4", "%G0", "%%", "%E0%A4%A", "%C0%AF", "%C0%80", "%FF", "%ED%A0%80", "%2e%2e%2f",
                "..%2F..%2Fetc", "%2500", "%25", "%3B", ";jsessionid=1", "x;a=b", "..;/", "%0d%0aX-Injected:%20yes",
                "{}", "a|b", "<script>", "\"q\"", "^", "`", "x y");
        Arbitrary<String> route = Arbitraries.of("/v1/transfers/", "/v1/transfers/batch/", "/v1/refunds/",
                "/v1/webhooks/endpoints/", "/v1/ops/partners/", "/v1/treasury/");
        Arbitrary<String> suffix = Arbitraries.of("", "/cancel", "/refunds");
        Arbitrary<String> query = Arbitraries.of("", "?limit=%00", "?cursor=%zz", "?status=%", "?a=%2F");
        return Combinators.combine(Arbitraries.of("GET", "POST"), route, bad, suffix, query)
                .as((method, path, segment, tail, q) -> method + " " + path + segment + tail + q);
    }

    @Provide
    Arbitrary<Hostile> cancels() {
        return Combinators.combine(hostileId(), Arbitraries.of("", "{}", "{\"reason\":[]}", "garbage"))
                .as((id, body) -> new Hostile("POST", "/v1/transfers/" + id + "/cancel",
                        body.isEmpty() ? null : "application/json", utf8(body), "id"));
    }

    @Provide
    Arbitrary<Hostile> webhookWrites() {
        Arbitrary<Object> url = Arbitraries.oneOf(Arbitraries.of("javascript:alert(1)", "ftp://x.example/h",
                "http://user:pass@x.example/h", "https://x.example/h#frag", "http://", "//x.example", "file:///etc/passwd",
                "x.example/hook", "", "http:// x.example"), unicode().filter(s -> !s.startsWith("http")),
                sqlInjection(), notAString());
        Arbitrary<Object> eventTypes = Arbitraries.oneOf(Arbitraries.of(List.of("transfer.exploded"),
                List.of("*", "nope"), List.of(1), List.of(List.of()), "transfer.*", List.of("")),
                unicode().map(List::of), sqlInjection().map(List::of));
        Arbitrary<Map<String, Object>> create = Arbitraries.oneOf(
                url.map(u -> Map.of("url", u)),
                eventTypes.map(t -> Map.of("url", "https://x.example/h", "event_types", t)),
                Arbitraries.of(Map.of("url", "https://x.example/h", "surprise", 1),
                        Map.of("url", "https://x.example/h", "enabled", "yes"),
                        Map.of("url", "https://x.example/h", "description", List.of()),
                        Map.of("description", "no url")));
        Arbitrary<Hostile> creates = Arbitraries.oneOf(create.map(body -> utf8(json(body))), brokenJson())
                .map(body -> new Hostile("POST", "/v1/webhooks/endpoints", "application/json", body, "create"));
        Arbitrary<Hostile> patches = Arbitraries.oneOf(url.map(u -> Map.<String, Object>of("url", u)),
                eventTypes.map(t -> Map.<String, Object>of("event_types", t)),
                Arbitraries.of(Map.<String, Object>of("enabled", "sometimes"), Map.of("enabled", List.of()),
                        Map.of("secret", "whsec_mine"), Map.of("id", UUID.randomUUID().toString())))
                .map(body -> new Hostile("PATCH", "/v1/webhooks/endpoints/" + endpointId, "application/json",
                        utf8(json(body)), "patch"));
        Arbitrary<Hostile> rotates = Arbitraries.oneOf(Arbitraries.of("yesterday", "-PT1H", "PT", "P", "1h", "",
                        "P1000000000D"), unicode(), notAString())
                .map(o -> new Hostile("POST", "/v1/webhooks/endpoints/" + endpointId + "/rotate-secret",
                        "application/json", utf8(json(Map.of("overlap", o))), "rotate"));
        Arbitrary<Hostile> tests = Arbitraries.oneOf(Arbitraries.of("transfer.exploded", "*", "transfer.*", ""),
                        unicode(), sqlInjection(), notAString())
                .map(t -> new Hostile("POST", "/v1/webhooks/endpoints/" + endpointId + "/test", "application/json",
                        utf8(json(Map.of("event_type", t))), "test"));
        Arbitrary<Hostile> replays = Arbitraries.oneOf(Arbitraries.of("yesterday", "2025-13-01T00:00:00Z", "",
                        "2025-06-01", "1e400"), unicode(), notAString())
                .map(s -> new Hostile("POST", "/v1/webhooks/endpoints/" + endpointId + "/replay", "application/json",
                        utf8(json(Map.of("since", s))), "replay"));
        Arbitrary<Hostile> unknownIds = Combinators.combine(hostileId(), Arbitraries.of("POST /rotate-secret",
                "POST /test", "POST /replay", "PATCH ", "DELETE ", "POST /deliveries-replay")).as((id, route) -> {
                    String[] parts = route.split(" ", -1);
                    String path = parts[1].equals("/deliveries-replay") ? "/v1/webhooks/deliveries/" + id + "/replay"
                            : "/v1/webhooks/endpoints/" + id + parts[1];
                    return new Hostile(parts[0], path, "application/json", utf8("{\"enabled\":false}"), "unknown id");
                });
        Arbitrary<Hostile> contentType = badJsonContentType().map(type -> new Hostile("POST", "/v1/webhooks/endpoints",
                type, utf8("{\"url\":\"https://x.example/h\"}"), "content type"));
        return Arbitraries.oneOf(creates, patches, rotates, tests, replays, unknownIds, contentType);
    }

    @Provide
    Arbitrary<Hostile> opsWrites() {
        Arbitrary<Object> partnerName = Arbitraries.oneOf(formula(), sqlInjection(), Arbitraries.of("", "a", " x",
                        "-x", "x".repeat(65), "acme\u0000", "acme\n", "ａｃｍｅ"),
                unicode().filter(s -> !s.matches("[A-Za-z0-9][A-Za-z0-9 ._-]{1,63}")), notAString());
        Arbitrary<Hostile> createPartner = Arbitraries.oneOf(partnerName.map(n -> utf8(json(Map.of("name", n)))),
                        Arbitraries.of(utf8("{\"name\":\"acme-fuzz\",\"admin\":true}")), brokenJson())
                .map(body -> new Hostile("POST", "/v1/ops/partners", "application/json", body, "partner"));
        String deposits = "/v1/ops/partners/" + partner.id() + "/deposits";
        Arbitrary<Hostile> deposit = Arbitraries.oneOf(
                hostileAmount().map(a -> Map.of("currency", "USD", "amount", a, "reference", "fuzz-deposit")),
                unknownCurrency().map(c -> Map.of("currency", c, "amount", "100.00", "reference", "fuzz-deposit")),
                Arbitraries.oneOf(Arbitraries.of("", "   ", "x".repeat(129)), notAString())
                        .map(r -> Map.of("currency", "USD", "amount", "100.00", "reference", r)),
                Arbitraries.of(Map.of("currency", "USD", "amount", "100.00"),
                        Map.of("currency", "USD", "amount", "100.00", "reference", "r", "partner_id", "other")))
                .map(body -> new Hostile("POST", deposits, "application/json", utf8(json(body)), "deposit"));
        Arbitrary<Hostile> depositBroken = brokenJson()
                .map(body -> new Hostile("POST", deposits, "application/json", body, "deposit body"));
        Arbitrary<Hostile> depositUnknownPartner = hostileId().map(id -> new Hostile("POST", "/v1/ops/partners/" + id
                + "/deposits", "application/json", utf8("{\"currency\":\"USD\",\"amount\":\"1.00\",\"reference\":\"r\"}"),
                "deposit to unknown partner"));
        Arbitrary<Hostile> keysUnknownPartner = hostileId().map(id -> new Hostile("POST", "/v1/ops/partners/" + id
                + "/keys", null, new byte[0], "key for unknown partner"));
        String until = "2099-01-01T00:00:00Z";
        Arbitrary<Hostile> override = Arbitraries.oneOf(
                Arbitraries.oneOf(Arbitraries.of("open", "SHUT", "", "OPEN "), unicode(), notAString())
                        .map(s -> Map.<String, Object>of("state", s, "until", until, "reason", "fuzz")),
                Arbitraries.of("2000-01-01T00:00:00Z", "tomorrow", "2099-13-01T00:00:00Z", "1e400", "2099-01-01")
                        .map(u -> Map.<String, Object>of("state", "CLOSED", "until", u, "reason", "fuzz")),
                Arbitraries.oneOf(Arbitraries.of("", "   "), notAString())
                        .map(r -> Map.<String, Object>of("state", "CLOSED", "until", until, "reason", r)),
                unknownCurrency().map(c -> Map.<String, Object>of("state", "CLOSED", "currency", c, "until", until,
                        "reason", "fuzz")),
                Arbitraries.of(Map.<String, Object>of("state", "CLOSED", "until", until, "reason", "x", "rail", "spei")))
                .map(body -> new Hostile("POST", "/v1/ops/settlement-windows/pix/override", "application/json",
                        utf8(json(body)), "override"));
        Arbitrary<Hostile> overrideUnknownRail = hostileId().map(rail -> new Hostile("POST",
                "/v1/ops/settlement-windows/" + rail + "/override", "application/json",
                utf8(json(Map.of("state", "CLOSED", "until", until, "reason", "fuzz"))), "unknown rail"));
        Arbitrary<Hostile> release = Arbitraries.oneOf(Arbitraries.of("", "  "), notAString())
                .map(r -> new Hostile("POST", "/v1/ops/settlement-windows/pix/release", "application/json",
                        utf8(json(Map.of("reason", r))), "release"));
        Arbitrary<Hostile> releaseUnknown = hostileId().map(id -> new Hostile("POST", "/v1/ops/transfers/" + id
                + "/release", "application/json", utf8("{\"reason\":\"fuzz\"}"), "release unknown transfer"));
        Arbitrary<Hostile> contentType = badJsonContentType().map(type -> new Hostile("POST", deposits, type,
                utf8("{\"currency\":\"USD\",\"amount\":\"1.00\",\"reference\":\"r\"}"), "content type"));
        return Arbitraries.oneOf(createPartner, deposit, depositBroken, depositUnknownPartner, keysUnknownPartner,
                override, overrideUnknownRail, release, releaseUnknown, contentType);
    }

    @Provide
    Arbitrary<Hostile> oversize() {
        String pad = "x".repeat(MAX_BODY + 1);
        return Arbitraries.of(
                new Hostile("POST", "/v1/transfers", "application/json", utf8("{\"reference\":\"" + pad + "\"}"), "big"),
                new Hostile("POST", "/v1/transfers/batch", "application/json", utf8("{\"items\":[\"" + pad + "\"]}"),
                        "big"),
                new Hostile("POST", "/v1/transfers/batch", "text/csv", utf8(CSV_HEADER + "\n" + pad), "big"),
                multipart("file", utf8(CSV_HEADER + "\n" + pad), "big"),
                new Hostile("POST", "/v1/webhooks/endpoints", "application/json", utf8("{\"url\":\"" + pad + "\"}"),
                        "big"),
                new Hostile("POST", "/v1/ops/partners", "application/json", utf8("{\"name\":\"" + pad + "\"}"), "big"),
                new Hostile("POST", "/v1/ops/partners/" + UUID.randomUUID() + "/deposits", null, utf8(pad), "big"));
    }

    // ---------------------------------------------------------------- bytes

    private static String json(Object body) {
        try {
            return JSON.writeValueAsString(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] utf16(String text) {
        return text.getBytes(StandardCharsets.UTF_16);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }
}
