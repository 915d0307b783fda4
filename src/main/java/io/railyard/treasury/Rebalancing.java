package io.railyard.treasury;

import io.railyard.api.ApiProblem;
import io.railyard.fx.FxRates;
import io.railyard.ledger.AccountKey;
import io.railyard.ledger.AccountKind;
import io.railyard.ledger.CurrencyCode;
import io.railyard.ledger.EntryRequest;
import io.railyard.ledger.Ledger;
import io.railyard.ledger.Posted;
import io.railyard.ops.OpsAudit;
import io.railyard.outbox.Outbox;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Rebalancing advice: floats below their {@code low} threshold (deficits) are brought to {@code target} coverage from
 * floats above target (surpluses): same currency first (no FX cost), then other currencies at the rate table's
 * applied rate (largest surplus first), then, for what no surplus covers, from the house (the treasury's bank account,
 * ledger {@code HOUSE FUNDING}). Floats between {@code low} and {@code target} are left alone.
 *
 * <p>A recommendation's id is a digest of what it moves: accepting one recomputes the advice and refuses (409) an id
 * that is no longer advised, so ops never act on a stale screen. Accepting posts the funding move as one balanced
 * ledger entry ({@code treasury.rebalance}), records it with its rate and cost, audits it and announces it
 * ({@code treasury.rebalanced}, internal), all in one transaction.
 */
@Service
public class Rebalancing {

    private final Treasury treasury;
    private final FxRates fx;
    private final Ledger ledger;
    private final OpsAudit audit;
    private final Outbox outbox;
    private final JdbcClient jdbc;

    Rebalancing(Treasury treasury, FxRates fx, Ledger ledger, OpsAudit audit, Outbox outbox, JdbcClient jdbc) {
        this.treasury = treasury;
        this.fx = fx;
        this.ledger = ledger;
        this.audit = audit;
        this.outbox = outbox;
        this.jdbc = jdbc;
    }

    /** A move of float: {@code fromRail} null means from the house. Amounts in minor units of their currency. */
    public record Recommendation(String id, String fromRail, CurrencyCode fromCurrency, long fromMinor, String toRail,
            CurrencyCode toCurrency, long toMinor, BigDecimal midRate, int spreadBps, BigDecimal fxCostUsd,
            String reason) {

        public Map<String, Object> view() {
            Map<String, Object> view = new LinkedHashMap<>();
            view.put("id", id);
            view.put("from", fromRail == null ? Map.of("house", true, "currency", fromCurrency.name())
                    : Map.of("rail", fromRail, "currency", fromCurrency.name()));
            view.put("to", Map.of("rail", toRail, "currency", toCurrency.name()));
            view.put("amount", fromCurrency.fromMinor(fromMinor).toPlainString());
            view.put("amount_received", toCurrency.fromMinor(toMinor).toPlainString());
            view.put("mid_rate", midRate.stripTrailingZeros().toPlainString());
            view.put("spread_bps", spreadBps);
            view.put("fx_cost_usd", fxCostUsd.toPlainString());
            view.put("reason", reason);
            return view;
        }
    }

    private static final class Surplus {
        final Treasury.Position position;
        long left;

        Surplus(Treasury.Position position, long left) {
            this.position = position;
            this.left = left;
        }
    }

    public List<Recommendation> recommendations() {
        List<Treasury.Position> positions = treasury.positions().stream().filter(p -> p.thresholds() != null).toList();
        List<Surplus> surpluses = new ArrayList<>();
        List<Treasury.Position> deficits = new ArrayList<>();
        for (Treasury.Position p : positions) {
            long surplus = p.floatMinor() - desired(p);
            if (p.belowLow()) {
                deficits.add(p);
            } else if (surplus > 0 && p.coverage().map(c -> c.compareTo(p.thresholds().target()) > 0).orElse(true)) {
                surpluses.add(new Surplus(p, surplus));
            }
        }
        deficits.sort(Comparator.comparing((Treasury.Position p) -> treasury.usd(p.currency(),
                desired(p) - p.floatMinor())).reversed().thenComparing(Treasury.Position::key));
        List<Recommendation> advice = new ArrayList<>();
        for (Treasury.Position deficit : deficits) {
            long needed = desired(deficit) - deficit.floatMinor();
            String why = deficit.rail() + " " + deficit.currency() + " coverage "
                    + deficit.coverage().map(BigDecimal::toPlainString).orElse("n/a (overdrawn)") + " below "
                    + deficit.thresholds().low().toPlainString() + ": brought to target "
                    + deficit.thresholds().target().toPlainString();
            List<Surplus> sources = new ArrayList<>(surpluses);
            sources.sort(Comparator.comparing((Surplus s) -> s.position.currency() != deficit.currency())
                    .thenComparing(s -> treasury.usd(s.position.currency(), s.left), Comparator.reverseOrder())
                    .thenComparing(s -> s.position.key()));
            for (Surplus source : sources) {
                if (needed <= 0) {
                    break;
                }
                Recommendation move = move(source, deficit, needed, why);
                if (move != null) {
                    source.left -= move.fromMinor();
                    needed -= move.toMinor();
                    advice.add(move);
                }
            }
            if (needed > 0) {
                advice.add(recommendation(null, deficit.currency(), needed, deficit, needed,
                        why + " (no rail surplus left: funded from the house)"));
            }
        }
        return advice;
    }

    /** The move from one surplus towards a deficit: the whole need, or as much as the surplus can give. */
    private Recommendation move(Surplus source, Treasury.Position deficit, long needed, String why) {
        CurrencyCode from = source.position.currency();
        CurrencyCode to = deficit.currency();
        if (from == to) {
            long amount = Math.min(needed, source.left);
            return amount <= 0 ? null : recommendation(source.position.rail(), from, amount, deficit, amount, why);
        }
        BigDecimal applied = fx.quote(from, 1, to).appliedRate();
        long amount = to.fromMinor(needed).divide(applied, from.scale(), RoundingMode.CEILING).unscaledValue()
                .longValueExact();
        FxRates.Quote quote = fx.quote(from, amount, to);
        for (int i = 0; i < 3 && quote.destinationAmountMinor() < needed; i++) {
            amount++;
            quote = fx.quote(from, amount, to);
        }
        if (amount > source.left) {
            amount = source.left;
            quote = fx.quote(from, amount, to);
        }
        if (amount <= 0 || quote.destinationAmountMinor() <= 0) {
            return null;
        }
        return recommendation(source.position.rail(), from, amount, deficit, quote.destinationAmountMinor(), why);
    }

    private Recommendation recommendation(String fromRail, CurrencyCode from, long fromMinor, Treasury.Position to,
            long toMinor, String why) {
        int spread = from == to.currency() ? 0 : fx.quote(from, fromMinor, to.currency()).spreadBps();
        BigDecimal cost = treasury.usd(from, fromMinor).multiply(BigDecimal.valueOf(spread, 4))
                .setScale(2, RoundingMode.HALF_UP);
        String id = digest((fromRail == null ? "house" : fromRail) + "|" + from + "|" + fromMinor + "|" + to.rail()
                + "|" + to.currency() + "|" + toMinor);
        return new Recommendation(id, fromRail, from, fromMinor, to.rail(), to.currency(), toMinor,
                fx.rate(from, to.currency()), spread, cost, why);
    }

    /** Minor units the float should hold: target × projected outflows, rounded up. */
    private static long desired(Treasury.Position p) {
        return p.thresholds().target().multiply(BigDecimal.valueOf(p.projectedMinor()))
                .setScale(0, RoundingMode.CEILING).longValueExact();
    }

    /**
     * Accepts the advised move {@code id}: one balanced ledger entry (rail float to rail float, through FX clearing
     * when the currencies differ, or house funding to the rail), the record, the audit line and the event.
     */
    @Transactional
    public Map<String, Object> accept(String id, String actor, String reason) {
        Recommendation advised = recommendations().stream().filter(r -> r.id().equals(id)).findFirst()
                .orElseThrow(() -> ApiProblem.conflict("recommendation_stale", "recommendation " + id
                        + " is no longer advised (balances moved since): read the recommendations again"));
        UUID rebalance = UUID.randomUUID();
        AccountKey target = AccountKey.rail(advised.toRail(), advised.toCurrency(), AccountKind.SETTLEMENT);
        EntryRequest.Builder entry = EntryRequest.builder("treasury.rebalance", rebalance.toString())
                .description("rebalance " + (advised.fromRail() == null ? "house" : advised.fromRail()) + " "
                        + advised.fromCurrency() + " → " + advised.toRail() + " " + advised.toCurrency()
                        + " accepted by " + actor);
        if (advised.fromRail() == null) {
            entry.leg(AccountKey.house(advised.fromCurrency(), AccountKind.FUNDING), advised.fromMinor());
        } else {
            entry.leg(AccountKey.rail(advised.fromRail(), advised.fromCurrency(), AccountKind.SETTLEMENT),
                    advised.fromMinor());
            if (advised.fromCurrency() != advised.toCurrency()) {
                entry.leg(AccountKey.house(advised.fromCurrency(), AccountKind.FX_CLEARING), -advised.fromMinor())
                        .leg(AccountKey.house(advised.toCurrency(), AccountKind.FX_CLEARING), advised.toMinor());
            }
        }
        Posted posted = ledger.post(entry.leg(target, -advised.toMinor()).build());
        jdbc.sql("""
                insert into treasury_rebalances (id, recommendation_id, from_rail, from_currency, from_amount_minor,
                    to_rail, to_currency, to_amount_minor, mid_rate, spread_bps, fx_cost_usd, entry_id, actor, reason)
                values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""")
                .params(rebalance, id, advised.fromRail(), advised.fromCurrency().name(), advised.fromMinor(),
                        advised.toRail(), advised.toCurrency().name(), advised.toMinor(), advised.midRate(),
                        advised.spreadBps(), advised.fxCostUsd(), posted.entryId(), actor, reason)
                .update();
        Map<String, Object> view = accepted(rebalance);
        audit.record(actor, "treasury.rebalance", "rail:" + advised.toRail(), reason, view);
        outbox.append(FloatAlerts.TOPIC, advised.toRail() + "/" + advised.toCurrency(), "treasury.rebalanced", view);
        return view;
    }

    /** Accepted moves, newest first. */
    public List<Map<String, Object>> accepted(int limit) {
        return jdbc.sql("select * from treasury_rebalances order by created_at desc, id desc limit ?").param(limit)
                .query((rs, n) -> view(rs)).list();
    }

    private Map<String, Object> accepted(UUID id) {
        return jdbc.sql("select * from treasury_rebalances where id = ?").param(id).query((rs, n) -> view(rs))
                .single();
    }

    private static Map<String, Object> view(java.sql.ResultSet rs) throws java.sql.SQLException {
        CurrencyCode from = CurrencyCode.valueOf(rs.getString("from_currency"));
        CurrencyCode to = CurrencyCode.valueOf(rs.getString("to_currency"));
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("id", rs.getString("id"));
        view.put("recommendation_id", rs.getString("recommendation_id"));
        String fromRail = rs.getString("from_rail");
        view.put("from", fromRail == null ? Map.of("house", true, "currency", from.name())
                : Map.of("rail", fromRail, "currency", from.name()));
        view.put("to", Map.of("rail", rs.getString("to_rail"), "currency", to.name()));
        view.put("amount", from.fromMinor(rs.getLong("from_amount_minor")).toPlainString());
        view.put("amount_received", to.fromMinor(rs.getLong("to_amount_minor")).toPlainString());
        view.put("mid_rate", rs.getBigDecimal("mid_rate").stripTrailingZeros().toPlainString());
        view.put("spread_bps", rs.getInt("spread_bps"));
        view.put("fx_cost_usd", rs.getBigDecimal("fx_cost_usd").toPlainString());
        view.put("ledger_entry_id", rs.getString("entry_id"));
        view.put("actor", rs.getString("actor"));
        view.put("reason", rs.getString("reason"));
        Timestamp at = rs.getTimestamp("created_at");
        view.put("created_at", at.toInstant().toString());
        return view;
    }

    private static String digest(String text) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return "rec_" + HexFormat.of().formatHex(hash, 0, 10);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
