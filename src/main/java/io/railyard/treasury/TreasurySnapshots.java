package io.railyard.treasury;

import io.railyard.ledger.CurrencyCode;
import java.math.BigDecimal;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;

/**
 * History for the charts: every tick of the clustered Quartz route {@code treasury.snapshot.take} stores each float
 * (float, in flight, queued, projected, coverage, float in USD) as read at one instant, then purges snapshots past
 * {@code snapshot-retention}. At most one per float per minute: a second firing in the same minute adds nothing.
 */
@Component("treasurySnapshots")
public class TreasurySnapshots {

    private static final Logger log = LoggerFactory.getLogger(TreasurySnapshots.class);

    private final Treasury treasury;
    private final JdbcClient jdbc;

    TreasurySnapshots(Treasury treasury, JdbcClient jdbc) {
        this.treasury = treasury;
        this.jdbc = jdbc;
    }

    /** Takes one snapshot of every float now; returns how many rows were stored. */
    @Transactional
    public int take() {
        Instant now = treasury.now();
        Instant minute = now.truncatedTo(ChronoUnit.MINUTES);
        int stored = 0;
        for (Treasury.Position p : treasury.positions()) {
            stored += jdbc.sql("""
                    insert into treasury_snapshots (minute, taken_at, rail, currency, float_minor, in_flight_minor,
                        queued_minor, projected_minor, coverage, float_usd) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    on conflict (minute, rail, currency) do nothing""")
                    .params(Timestamp.from(minute), Timestamp.from(p.at()), p.rail(), p.currency().name(), p.floatMinor(), p.inFlightMinor(),
                            p.queuedMinor(), p.projectedMinor(), p.coverage().orElse(null),
                            treasury.usd(p.currency(), p.floatMinor()))
                    .update();
        }
        int purged = jdbc.sql("delete from treasury_snapshots where taken_at < ?")
                .param(Timestamp.from(now.atZone(java.time.ZoneOffset.UTC)
                        .minus(treasury.table().snapshotRetention()).toInstant()))
                .update();
        if (purged > 0) {
            log.info("Treasury snapshots: {} past their retention purged", purged);
        }
        return stored;
    }

    /** Snapshots between two instants, oldest first, grouped per float; optionally one rail (and currency). */
    public List<Map<String, Object>> history(String rail, CurrencyCode currency, Instant from, Instant to) {
        StringBuilder sql = new StringBuilder("select * from treasury_snapshots where taken_at >= ? and taken_at <= ?");
        List<Object> params = new ArrayList<>(List.of(Timestamp.from(from), Timestamp.from(to)));
        if (rail != null) {
            sql.append(" and rail = ?");
            params.add(rail);
        }
        if (currency != null) {
            sql.append(" and currency = ?");
            params.add(currency.name());
        }
        sql.append(" order by rail, currency, taken_at limit 20000");
        Map<String, Map<String, Object>> series = new LinkedHashMap<>();
        jdbc.sql(sql.toString()).params(params).query(rs -> {
            CurrencyCode code = CurrencyCode.valueOf(rs.getString("currency"));
            Map<String, Object> one = series.computeIfAbsent(rs.getString("rail") + "/" + code, k -> {
                Map<String, Object> created = new LinkedHashMap<>();
                created.put("rail", k.substring(0, k.indexOf('/')));
                created.put("currency", code.name());
                created.put("points", new ArrayList<Map<String, Object>>());
                return created;
            });
            Map<String, Object> point = new LinkedHashMap<>();
            point.put("at", rs.getTimestamp("taken_at").toInstant().toString());
            point.put("float", code.fromMinor(rs.getLong("float_minor")).toPlainString());
            point.put("in_flight", code.fromMinor(rs.getLong("in_flight_minor")).toPlainString());
            point.put("queued", code.fromMinor(rs.getLong("queued_minor")).toPlainString());
            point.put("projected_outflows", code.fromMinor(rs.getLong("projected_minor")).toPlainString());
            BigDecimal coverage = rs.getBigDecimal("coverage");
            point.put("coverage", coverage == null ? null : coverage.toPlainString());
            point.put("float_usd", rs.getBigDecimal("float_usd").toPlainString());
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> points = (List<Map<String, Object>>) one.get("points");
            points.add(point);
        });
        return new ArrayList<>(series.values());
    }
}
