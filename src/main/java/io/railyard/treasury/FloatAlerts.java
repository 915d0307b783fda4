package io.railyard.treasury;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.railyard.outbox.Outbox;
import io.railyard.treasury.TreasuryTable.RailCurrency;
import java.math.BigDecimal;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;

/**
 * Float sufficiency alerts with hysteresis: a float whose coverage falls below its {@code low} threshold is RAISED
 * ({@code treasury.float_low}); it is CLEAR again ({@code treasury.float_restored}) only once coverage reaches
 * {@code recover}, which is above {@code low}, so a coverage hovering around one threshold never flaps. Evaluated by
 * the clustered Quartz route {@code treasury.snapshot.take} (and on demand by ops); the state lives in
 * {@code treasury_alerts}, locked per float, so instances agree.
 *
 * <p>Each change writes, in the same transaction, one house event (no partner: Kafka
 * {@code railyard.treasury.events.v1}, for ops tooling) and one event per partner with transfers queued or in flight
 * on that float (delivered by webhook to that partner's endpoints). Metrics: gauges
 * {@code railyard_treasury_coverage{rail,currency}} and {@code railyard_treasury_float_low{rail,currency}} (1 raised,
 * 0 clear).
 */
@Component("floatAlerts")
public class FloatAlerts {

    public static final String TOPIC = "railyard.treasury.events.v1";
    static final String LOW = "treasury.float_low";
    static final String RESTORED = "treasury.float_restored";
    private static final Logger log = LoggerFactory.getLogger(FloatAlerts.class);

    private final Treasury treasury;
    private final JdbcClient jdbc;
    private final Outbox outbox;
    private final Map<RailCurrency, double[]> gauges = new ConcurrentHashMap<>();

    FloatAlerts(Treasury treasury, JdbcClient jdbc, Outbox outbox, MeterRegistry registry) {
        this.treasury = treasury;
        this.jdbc = jdbc;
        this.outbox = outbox;
        treasury.table().thresholds().keySet().forEach(key -> {
            double[] values = gauges.computeIfAbsent(key, k -> new double[] {Double.NaN, Double.NaN});
            Gauge.builder("railyard.treasury.coverage", values, v -> v[0]).tag("rail", key.rail())
                    .tag("currency", key.currency().name())
                    .description("Float coverage (float / projected outflows) at the last evaluation").register(registry);
            Gauge.builder("railyard.treasury.float_low", values, v -> v[1]).tag("rail", key.rail())
                    .tag("currency", key.currency().name())
                    .description("1 while a treasury.float_low alert is raised for the float, else 0").register(registry);
        });
    }

    /** A state change made by an evaluation. */
    public record Change(String rail, String currency, String state, BigDecimal coverage) {
    }

    /** The alert state of one float. */
    public record Alert(String rail, String currency, String state, BigDecimal coverage, Instant raisedAt,
            Instant clearedAt, int transitions, Instant evaluatedAt) {
    }

    /** Looks at every configured float now; raises and clears alerts; returns the changes made. */
    @Transactional
    public List<Change> evaluate() {
        List<Change> changes = new ArrayList<>();
        for (Treasury.Position position : treasury.positions()) {
            if (position.thresholds() == null) {
                continue;
            }
            evaluate(position).ifPresent(changes::add);
        }
        return changes;
    }

    private Optional<Change> evaluate(Treasury.Position p) {
        String rail = p.rail();
        String currency = p.currency().name();
        jdbc.sql("insert into treasury_alerts (rail, currency, state) values (?, ?, 'CLEAR') on conflict do nothing")
                .params(rail, currency).update();
        String state = jdbc.sql("select state from treasury_alerts where rail = ? and currency = ? for update")
                .params(rail, currency).query(String.class).single();
        BigDecimal coverage = p.coverage().orElse(null);
        String next = state.equals("CLEAR") && p.belowLow() ? "RAISED"
                : state.equals("RAISED") && p.recovered() ? "CLEAR" : state;
        boolean changed = !next.equals(state);
        jdbc.sql("""
                update treasury_alerts set state = ?, coverage = ?, evaluated_at = clock_timestamp(),
                    raised_at = case when ? and ? = 'RAISED' then clock_timestamp() else raised_at end,
                    cleared_at = case when ? and ? = 'CLEAR' then clock_timestamp() else cleared_at end,
                    transitions = transitions + case when ? then 1 else 0 end
                where rail = ? and currency = ?""")
                .params(next, coverage, changed, next, changed, next, changed, rail, currency).update();
        double[] gauge = gauges.get(p.key());
        if (gauge != null) {
            gauge[0] = coverage == null ? Double.POSITIVE_INFINITY : coverage.doubleValue();
            gauge[1] = next.equals("RAISED") ? 1 : 0;
        }
        if (!changed) {
            return Optional.empty();
        }
        announce(p, next);
        log.warn("Treasury: float {} {} {} (coverage {}, low {}, recover {})", rail, currency,
                next.equals("RAISED") ? "LOW" : "restored", coverage == null ? "n/a" : coverage.toPlainString(),
                p.thresholds().low(), p.thresholds().recover());
        return Optional.of(new Change(rail, currency, next, coverage));
    }

    private void announce(Treasury.Position p, String state) {
        String type = state.equals("RAISED") ? LOW : RESTORED;
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("object", "treasury_alert");
        data.put("rail", p.rail());
        data.put("currency", p.currency().name());
        data.put("state", state);
        data.put("coverage", p.coverage().map(BigDecimal::toPlainString).orElse(null));
        data.put("low", p.thresholds().low().toPlainString());
        data.put("recover", p.thresholds().recover().toPlainString());
        data.put("float", p.currency().fromMinor(p.floatMinor()).toPlainString());
        data.put("projected_outflows", p.currency().fromMinor(p.projectedMinor()).toPlainString());
        data.put("in_flight", p.currency().fromMinor(p.inFlightMinor()).toPlainString());
        data.put("queued", p.currency().fromMinor(p.queuedMinor()).toPlainString());
        data.put("at", p.at().toString());
        String key = p.rail() + "/" + p.currency();
        outbox.append(TOPIC, key, type, data);
        record Exposed(String partnerId, long inFlight, long queued) {
        }
        jdbc.sql("""
                select partner_id, coalesce(sum(destination_amount_minor) filter (where status = 'SUBMITTED'), 0)
                        as in_flight,
                    coalesce(sum(destination_amount_minor) filter (where status = 'QUEUED'), 0) as queued
                from transfers where rail = ? and destination_currency = ? and status in ('SUBMITTED', 'QUEUED')
                group by partner_id""").params(p.rail(), p.currency().name())
                .query((rs, n) -> new Exposed(rs.getString("partner_id"), rs.getLong("in_flight"),
                        rs.getLong("queued")))
                .list().forEach(exposed -> {
                    Map<String, Object> partner = new LinkedHashMap<>(data);
                    partner.put("partner_id", exposed.partnerId());
                    partner.put("your_in_flight", p.currency().fromMinor(exposed.inFlight()).toPlainString());
                    partner.put("your_queued", p.currency().fromMinor(exposed.queued()).toPlainString());
                    outbox.append(TOPIC, exposed.partnerId(), type, partner);
                });
    }

    public List<Alert> alerts() {
        return jdbc.sql("select * from treasury_alerts order by rail, currency")
                .query((rs, n) -> new Alert(rs.getString("rail"), rs.getString("currency"), rs.getString("state"),
                        rs.getBigDecimal("coverage"), instant(rs.getTimestamp("raised_at")),
                        instant(rs.getTimestamp("cleared_at")), rs.getInt("transitions"),
                        instant(rs.getTimestamp("evaluated_at"))))
                .list();
    }

    private static Instant instant(Timestamp timestamp) {
        return timestamp == null ? null : timestamp.toInstant();
    }
}
