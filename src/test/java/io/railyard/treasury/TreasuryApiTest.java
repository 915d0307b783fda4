package io.railyard.treasury;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.railyard.HubTest;
import io.railyard.ledger.AccountKey;
import io.railyard.ledger.AccountKind;
import io.railyard.ledger.CurrencyCode;
import io.railyard.ledger.EntryRequest;
import io.railyard.ledger.LedgerInvariants;
import io.railyard.transfer.TransferFixtures;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.camel.CamelContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * The treasury API against the real hub: floats equal the ledger (now and at past instants) after scripted transfers,
 * queued and in-flight outflows, coverage alerts that raise and clear once with hysteresis, rebalancing acceptance as
 * balanced ledger entries, snapshots, velocity, and ops-only access with problem responses.
 */
class TreasuryApiTest extends HubTest {

    private static final Duration PATIENCE = Duration.ofSeconds(30);

    @Autowired
    FloatAlerts alerts;
    @Autowired
    TreasurySnapshots snapshots;
    @Autowired
    CamelContext camel;

    @AfterEach
    void openSpeiAgain() {
        call("POST", "/v1/ops/settlement-windows/spei/override").asOps()
                .json(Map.of("state", "CLEARED", "reason", "treasury test over")).send();
        call("POST", "/v1/ops/settlement-windows/spei/release").asOps()
                .json(Map.of("reason", "treasury test over")).send();
        await().atMost(PATIENCE).until(() -> jdbc.sql("select count(*) from transfers where rail = 'spei' and "
                + "status = 'QUEUED'").query(Long.class).single() == 0);
    }

    @Test
    void floatsEqualTheLedgerNowAndAtAPastInstantAfterScriptedTransfers() {
        TestPartner partner = newPartner("1000 BRL", "5000 MXN");
        Instant before = Instant.now();
        await().until(() -> Instant.now().isAfter(before));
        List<String> ids = new ArrayList<>();
        for (String amount : new String[] {"10.00", "20.50", "0.75"}) {
            ids.add(createTransfer(partner, TransferFixtures.pix(amount)));
        }
        ids.add(createTransfer(partner, TransferFixtures.spei("300.00")));
        ids.forEach(id -> awaitStatus(partner, id, "SETTLED"));
        Instant after = Instant.now();

        JsonNode then = call("GET", "/v1/treasury/balances?at=" + before).asOps().send().json();
        JsonNode now = call("GET", "/v1/treasury/balances?at=" + after).asOps().send().json();
        assertThat(floatOf(now, "pix", "BRL").subtract(floatOf(then, "pix", "BRL")))
                .isEqualByComparingTo("-31.25");
        assertThat(floatOf(now, "spei", "MXN").subtract(floatOf(then, "spei", "MXN")))
                .isEqualByComparingTo("-300.00");
        for (JsonNode row : now.get("data")) {
            CurrencyCode currency = CurrencyCode.valueOf(row.get("currency").asText());
            long ledgerAt = ledger.balanceAt(AccountKey.rail(row.get("rail").asText(), currency,
                    AccountKind.SETTLEMENT), after);
            assertThat(currency.toMinor(new BigDecimal(row.get("float").asText()))).as(row.toString())
                    .isEqualTo(-ledgerAt);
        }
        // now: the same figures as the ledger's current balances (once nothing else moves)
        await().atMost(PATIENCE).untilAsserted(() -> {
            JsonNode current = call("GET", "/v1/treasury/balances").asOps().send().json();
            for (JsonNode row : current.get("data")) {
                CurrencyCode currency = CurrencyCode.valueOf(row.get("currency").asText());
                long balance = ledger.balance(AccountKey.rail(row.get("rail").asText(), currency,
                        AccountKind.SETTLEMENT));
                assertThat(currency.toMinor(new BigDecimal(row.get("float").asText()))).as(row.toString())
                        .isEqualTo(-balance);
                assertThat(currency.toMinor(new BigDecimal(row.get("settlement_account_balance").asText())))
                        .isEqualTo(balance);
            }
        });
        LedgerInvariants.assertHold(jdbc);
    }

    @Test
    void queuedTransfersAreOutflowsOfTheNextWindowAndPastInstantsSeeThemQueued() {
        TestPartner partner = newPartner("5000 MXN");
        closeSpei();
        String id = createTransfer(partner, TransferFixtures.spei("123.45"));
        awaitStatus(partner, id, "QUEUED");
        Instant queuedAt = Instant.now();
        JsonNode spei = row(call("GET", "/v1/treasury/balances").asOps().send().json(), "spei", "MXN");
        assertThat(new BigDecimal(spei.get("queued").asText())).isGreaterThanOrEqualTo(new BigDecimal("123.45"));
        assertThat(spei.get("queued_count").asLong()).isPositive();
        assertThat(spei.get("window_open").asBoolean()).isFalse();
        long queuedBefore = CurrencyCode.MXN.toMinor(new BigDecimal(spei.get("queued").asText()));

        openSpeiAgain();
        awaitStatus(partner, id, "SETTLED");
        JsonNode past = row(call("GET", "/v1/treasury/balances?at=" + queuedAt).asOps().send().json(), "spei", "MXN");
        assertThat(CurrencyCode.MXN.toMinor(new BigDecimal(past.get("queued").asText()))).isEqualTo(queuedBefore);
        assertThat(past.has("window_open")).as("window state is a now-only figure").isFalse();
        JsonNode current = row(call("GET", "/v1/treasury/balances").asOps().send().json(), "spei", "MXN");
        assertThat(CurrencyCode.MXN.toMinor(new BigDecimal(current.get("queued").asText()))).isEqualTo(jdbc.sql(
                "select coalesce(sum(destination_amount_minor), 0) from transfers where rail = 'spei' and "
                        + "destination_currency = 'MXN' and status = 'QUEUED'").query(Long.class).single());
    }

    @Test
    void aLowFloatRaisesOneAlertAndClearsOnceWithoutFlapping() {
        TestPartner partner = newPartner("5000 MXN");
        closeSpei();
        String id = createTransfer(partner, TransferFixtures.spei("400.00"));
        awaitStatus(partner, id, "QUEUED");
        setCoverage("spei", CurrencyCode.MXN, new BigDecimal("1.60"));
        alerts.evaluate(); // whatever earlier tests left, the float starts healthy
        assertThat(alertState("spei", "MXN")).isEqualTo("CLEAR");
        long house = alertEvents("spei/MXN");
        long own = alertEvents(partner.id().toString());

        List<String> states = new ArrayList<>();
        // coverage path: below low, in the band (twice), just under low again, in the band, recovered, back in the
        // band, just above low
        for (String coverage : new String[] {"1.10", "1.30", "1.25", "1.15", "1.45", "1.55", "1.30", "1.21"}) {
            setCoverage("spei", CurrencyCode.MXN, new BigDecimal(coverage));
            alerts.evaluate();
            states.add(alertState("spei", "MXN"));
        }
        assertThat(states).containsExactly("RAISED", "RAISED", "RAISED", "RAISED", "RAISED", "CLEAR", "CLEAR",
                "CLEAR");
        assertThat(alertEvents("spei/MXN") - house).as("house events: one raise, one clear").isEqualTo(2);
        assertThat(alertEvents(partner.id().toString()) - own).as("events to the exposed partner").isEqualTo(2);
        String partnerEvent = jdbc.sql("""
                select payload::text from outbox_events where event_type = 'treasury.float_low' and event_key = ?
                order by id desc limit 1""").param(partner.id().toString()).query(String.class).single();
        assertThat(partnerEvent).contains("\"partner_id\":\"" + partner.id() + "\"", "\"rail\":\"spei\"",
                "\"your_queued\":\"400.00\"");

        setCoverage("spei", CurrencyCode.MXN, new BigDecimal("0.50"));
        JsonNode changes = call("POST", "/v1/treasury/alerts/evaluate").asOps().send().json();
        assertThat(changes.get("changes").toString()).contains("\"rail\":\"spei\"", "\"state\":\"RAISED\"");
        JsonNode coverage = row(call("GET", "/v1/treasury/coverage").asOps().send().json(), "spei", "MXN");
        assertThat(coverage.get("alert").asText()).isEqualTo("RAISED");
        assertThat(coverage.get("status").asText()).isEqualTo("LOW");
        assertThat(new BigDecimal(coverage.get("coverage").asText())).isEqualByComparingTo("0.50");
        assertThat(call("GET", "/actuator/prometheus").asOps().send().body())
                .contains("railyard_treasury_float_low{currency=\"MXN\",rail=\"spei\"} 1.0");
        setCoverage("spei", CurrencyCode.MXN, new BigDecimal("3.00"));
        alerts.evaluate();
        assertThat(alertState("spei", "MXN")).isEqualTo("CLEAR");
        assertThat(call("GET", "/actuator/prometheus").asOps().send().body())
                .contains("railyard_treasury_float_low{currency=\"MXN\",rail=\"spei\"} 0.0");
    }

    @Test
    void acceptingARecommendationPostsOneBalancedFundingMoveAuditedAndRefusesAStaleOne() {
        TestPartner partner = newPartner("5000 MXN");
        closeSpei();
        String id = createTransfer(partner, TransferFixtures.spei("250.00"));
        awaitStatus(partner, id, "QUEUED");
        setCoverage("spei", CurrencyCode.MXN, new BigDecimal("0.40"));
        // a large BRL surplus at pix: the advice moves BRL from pix to spei through FX clearing
        setFloat("pix", CurrencyCode.BRL, CurrencyCode.BRL.toMinor(new BigDecimal("50000000.00")));

        JsonNode advice = call("GET", "/v1/treasury/rebalancing").asOps().send().json();
        JsonNode move = null;
        for (JsonNode r : advice.get("data")) {
            if (r.at("/to/rail").asText().equals("spei")) {
                move = r;
            }
        }
        assertThat(move).as(advice.toString()).isNotNull();
        assertThat(move.at("/from/rail").asText()).isEqualTo("pix");
        assertThat(move.at("/from/currency").asText()).isEqualTo("BRL");
        assertThat(move.get("spread_bps").asInt()).isEqualTo(50);
        assertThat(new BigDecimal(move.get("fx_cost_usd").asText())).isPositive();
        long pixBefore = ledger.balance(AccountKey.rail("pix", CurrencyCode.BRL, AccountKind.SETTLEMENT));
        long speiBefore = ledger.balance(AccountKey.rail("spei", CurrencyCode.MXN, AccountKind.SETTLEMENT));

        String key = UUID.randomUUID().toString();
        String path = "/v1/treasury/rebalancing/" + move.get("id").asText() + "/accept";
        Reply accepted = call("POST", path).asOps().header("Idempotency-Key", key)
                .json(Map.of("reason", "spei float below low before the MX payroll run")).send();
        assertThat(accepted.status()).as(accepted.toString()).isEqualTo(201);
        long sent = CurrencyCode.BRL.toMinor(new BigDecimal(move.get("amount").asText()));
        long received = CurrencyCode.MXN.toMinor(new BigDecimal(move.get("amount_received").asText()));
        assertThat(ledger.balance(AccountKey.rail("pix", CurrencyCode.BRL, AccountKind.SETTLEMENT)) - pixBefore)
                .isEqualTo(sent);
        assertThat(ledger.balance(AccountKey.rail("spei", CurrencyCode.MXN, AccountKind.SETTLEMENT)) - speiBefore)
                .isEqualTo(-received);
        String entry = accepted.json().get("ledger_entry_id").asText();
        List<String> legs = jdbc.sql("""
                select a.owner_id || ':' || a.currency || ':' || a.kind || ':' || p.amount_minor from postings p
                join ledger_accounts a on a.id = p.account_id where p.entry_id = ?::uuid order by p.id""")
                .param(entry).query(String.class).list();
        assertThat(legs).containsExactlyInAnyOrder("pix:BRL:SETTLEMENT:" + sent, "house:BRL:FX_CLEARING:" + -sent,
                "house:MXN:FX_CLEARING:" + received, "spei:MXN:SETTLEMENT:" + -received);
        LedgerInvariants.assertHold(jdbc);
        assertThat(jdbc.sql("select count(*) from ops_audit where action = 'treasury.rebalance' and actor = ? "
                + "and details->>'ledger_entry_id' = ?").params("ops:" + OPS_USER, entry).query(Long.class).single())
                .isEqualTo(1);
        JsonNode coverage = row(call("GET", "/v1/treasury/coverage").asOps().send().json(), "spei", "MXN");
        assertThat(new BigDecimal(coverage.get("coverage").asText())).isGreaterThanOrEqualTo(new BigDecimal("2.0"));

        Reply replayed = call("POST", path).asOps().header("Idempotency-Key", key)
                .json(Map.of("reason", "spei float below low before the MX payroll run")).send();
        assertThat(replayed.header("Idempotent-Replayed")).isEqualTo("true");
        assertThat(replayed.json().get("id").asText()).isEqualTo(accepted.json().get("id").asText());
        Reply stale = call("POST", path).asOps().header("Idempotency-Key", UUID.randomUUID().toString())
                .json(Map.of("reason", "again")).send();
        assertThat(stale.status()).as(stale.toString()).isEqualTo(409);
        assertThat(stale.json().get("code").asText()).isEqualTo("recommendation_stale");
        assertThat(jdbc.sql("select count(*) from journal_entries where kind = 'treasury.rebalance' and reference = ?")
                .param(accepted.json().get("id").asText()).query(Long.class).single()).isEqualTo(1);
        JsonNode history = call("GET", "/v1/treasury/rebalancing/accepted").asOps().send().json();
        assertThat(history.get("data").get(0).get("id").asText()).isEqualTo(accepted.json().get("id").asText());
    }

    @Test
    void snapshotsMakeHistoryAndVelocityShowsPercentiles() {
        TestPartner partner = newPartner("1000 BRL");
        String id = createTransfer(partner, TransferFixtures.pix("5.00"));
        awaitStatus(partner, id, "SETTLED");
        assertThat(camel.getRoute("treasury.snapshot.take")).isNotNull();
        snapshots.take(); // nothing new when the scheduled route took this minute's already
        JsonNode history = call("GET", "/v1/treasury/history?rail=pix&currency=BRL").asOps().send().json();
        JsonNode pix = history.get("data").get(0);
        assertThat(pix.get("rail").asText()).isEqualTo("pix");
        JsonNode last = pix.get("points").get(pix.get("points").size() - 1);
        assertThat(CurrencyCode.BRL.toMinor(new BigDecimal(last.get("float").asText()))).as(last.toString())
                .isEqualTo(-ledger.balanceAt(AccountKey.rail("pix", CurrencyCode.BRL, AccountKind.SETTLEMENT),
                        Instant.parse(last.get("at").asText())));
        assertThat(jdbc.sql("select count(*) from treasury_snapshots where rail = 'pix' and currency = 'BRL' "
                + "group by minute order by count(*) desc limit 1").query(Long.class).single())
                .as("one snapshot per float per minute").isEqualTo(1);

        JsonNode velocity = call("GET", "/v1/treasury/velocity?bucket=hour").asOps().send().json();
        JsonNode pixVelocity = null;
        for (JsonNode r : velocity.get("data")) {
            if (r.get("rail").asText().equals("pix") && r.get("currency").asText().equals("BRL")) {
                pixVelocity = r;
            }
        }
        assertThat(pixVelocity).as(velocity.toString()).isNotNull();
        long settled = jdbc.sql("select count(*) from transfers where rail = 'pix' and destination_currency = 'BRL' "
                + "and settled_at >= ?::timestamptz and settled_at < ?::timestamptz")
                .params(velocity.get("from").asText(), velocity.get("to").asText()).query(Long.class).single();
        assertThat(pixVelocity.get("count").asLong()).isEqualTo(settled);
        BigDecimal p50 = new BigDecimal(pixVelocity.get("accept_to_settle_p50_seconds").asText());
        BigDecimal p95 = new BigDecimal(pixVelocity.get("accept_to_settle_p95_seconds").asText());
        assertThat(p50).isPositive().isLessThanOrEqualTo(p95);
        assertThat(pixVelocity.get("buckets")).isNotEmpty();
        JsonNode exposure = call("GET", "/v1/treasury/exposure").asOps().send().json();
        assertThat(exposure.get("reporting_currency").asText()).isEqualTo("USD");
        assertThat(exposure.get("data").findValuesAsText("currency")).contains("BRL");
    }

    @Test
    void onlyOpsReachTheTreasuryAndBadInputIsAProblem() {
        TestPartner partner = newPartner();
        assertThat(call("GET", "/v1/treasury/balances").send().status()).isEqualTo(401);
        Reply asPartner = call("GET", "/v1/treasury/balances").as(partner).send();
        assertThat(asPartner.status()).isEqualTo(403);
        assertThat(asPartner.contentType()).startsWith("application/problem+json");
        assertThat(call("POST", "/v1/treasury/alerts/evaluate").as(partner).send().status()).isEqualTo(403);
        assertThat(call("GET", "/v1/treasury/balances").asOps().send().status()).isEqualTo(200);

        assertProblem(call("GET", "/v1/treasury/balances?at=yesterday").asOps().send(), 400, "invalid_query", "at");
        assertProblem(call("GET", "/v1/treasury/balances?at=2999-01-01T00:00:00Z").asOps().send(), 400,
                "invalid_query", "at");
        assertProblem(call("GET", "/v1/treasury/velocity?bucket=week").asOps().send(), 400, "invalid_query",
                "bucket");
        assertProblem(call("GET", "/v1/treasury/history?currency=EUR").asOps().send(), 400, "invalid_query",
                "currency");
        assertProblem(call("POST", "/v1/treasury/rebalancing/rec_x/accept").asOps().json(Map.of("reason", "x"))
                .send(), 400, "idempotency_key_missing", "Idempotency-Key");
        assertProblem(call("POST", "/v1/treasury/rebalancing/rec_x/accept").asOps()
                .header("Idempotency-Key", UUID.randomUUID().toString()).json(Map.of("reason", " ")).send(), 422,
                "validation_failed", "reason");
        Reply unknown = call("POST", "/v1/treasury/rebalancing/rec_x/accept").asOps()
                .header("Idempotency-Key", UUID.randomUUID().toString()).json(Map.of("reason", "why not")).send();
        assertThat(unknown.status()).isEqualTo(409);
        assertThat(unknown.json().get("code").asText()).isEqualTo("recommendation_stale");
    }

    private void assertProblem(Reply reply, int status, String code, String field) {
        assertThat(reply.status()).as(reply.toString()).isEqualTo(status);
        assertThat(reply.contentType()).startsWith("application/problem+json");
        assertThat(reply.json().get("code").asText()).isEqualTo(code);
        assertThat(reply.json().get("field").asText()).isEqualTo(field);
    }

    /** Sets the rail's float so that its coverage is exactly {@code coverage} of its current projected outflows. */
    private void setCoverage(String rail, CurrencyCode currency, BigDecimal coverage) {
        JsonNode row = row(call("GET", "/v1/treasury/coverage").asOps().send().json(), rail, currency.name());
        long projected = currency.toMinor(new BigDecimal(row.get("projected_outflows").asText()));
        assertThat(projected).as("projected outflows of " + rail).isPositive();
        setFloat(rail, currency, coverage.multiply(BigDecimal.valueOf(projected))
                .setScale(0, java.math.RoundingMode.CEILING).longValueExact());
    }

    /** Funds (or withdraws from) the rail's float through the house funding account until it holds {@code minor}. */
    private void setFloat(String rail, CurrencyCode currency, long minor) {
        AccountKey account = AccountKey.rail(rail, currency, AccountKind.SETTLEMENT);
        long delta = minor + ledger.balance(account);
        if (delta != 0) {
            ledger.post(EntryRequest.builder("test.float", UUID.randomUUID().toString())
                    .leg(AccountKey.house(currency, AccountKind.FUNDING), delta).leg(account, -delta).build());
        }
    }

    private long alertEvents(String key) {
        return jdbc.sql("select count(*) from outbox_events where event_type in ('treasury.float_low', "
                + "'treasury.float_restored') and event_key = ?").param(key).query(Long.class).single();
    }

    private String alertState(String rail, String currency) {
        return jdbc.sql("select state from treasury_alerts where rail = ? and currency = ?").params(rail, currency)
                .query(String.class).single();
    }

    private void closeSpei() {
        Reply closed = call("POST", "/v1/ops/settlement-windows/spei/override").asOps().json(Map.of("state", "CLOSED",
                "until", Instant.now().plusSeconds(600).toString(), "reason", "treasury test: queue spei")).send();
        assertThat(closed.status()).as(closed.toString()).isEqualTo(200);
    }

    private static BigDecimal floatOf(JsonNode balances, String rail, String currency) {
        JsonNode row = row(balances, rail, currency);
        return row == null ? BigDecimal.ZERO : new BigDecimal(row.get("float").asText());
    }

    private static JsonNode row(JsonNode listing, String rail, String currency) {
        for (JsonNode row : listing.get("data")) {
            if (row.get("rail").asText().equals(rail) && row.get("currency").asText().equals(currency)) {
                return row;
            }
        }
        return null;
    }

    private void awaitStatus(TestPartner partner, String id, String status) {
        await().atMost(PATIENCE).pollInterval(Duration.ofMillis(100)).until(() ->
                call("GET", "/v1/transfers/" + id).as(partner).send().json().get("status").asText().equals(status));
    }
}
