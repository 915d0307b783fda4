package io.railyard.treasury;

import io.railyard.ledger.CurrencyCode;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;

/** Currency exposure in the reporting currency (USD, mid rates of the rate table) and settlement velocity. */
@Service
public class TreasuryReports {

    private final Treasury treasury;
    private final JdbcClient jdbc;

    TreasuryReports(Treasury treasury, JdbcClient jdbc) {
        this.treasury = treasury;
        this.jdbc = jdbc;
    }

    /**
     * Per currency, over every rail: float, in flight, queued and the net position (float − in flight − queued), each
     * in its currency and in USD; totals in USD.
     */
    public Map<String, Object> exposure(Instant at) {
        Map<CurrencyCode, long[]> sums = new EnumMap<>(CurrencyCode.class);
        List<Treasury.Position> positions = treasury.positions(at);
        for (Treasury.Position p : positions) {
            long[] s = sums.computeIfAbsent(p.currency(), c -> new long[3]);
            s[0] += p.floatMinor();
            s[1] += p.inFlightMinor();
            s[2] += p.queuedMinor();
        }
        List<Map<String, Object>> rows = new ArrayList<>();
        BigDecimal[] totals = {BigDecimal.ZERO, BigDecimal.ZERO, BigDecimal.ZERO};
        sums.forEach((currency, s) -> {
            long net = s[0] - s[1] - s[2];
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("currency", currency.name());
            row.put("usd_rate", treasury.usdRate(currency).stripTrailingZeros().toPlainString());
            row.put("float", currency.fromMinor(s[0]).toPlainString());
            row.put("in_flight", currency.fromMinor(s[1]).toPlainString());
            row.put("queued", currency.fromMinor(s[2]).toPlainString());
            row.put("net", currency.fromMinor(net).toPlainString());
            BigDecimal floatUsd = treasury.usd(currency, s[0]);
            BigDecimal outUsd = treasury.usd(currency, s[1] + s[2]);
            BigDecimal netUsd = treasury.usd(currency, net);
            row.put("float_usd", floatUsd.toPlainString());
            row.put("outflows_usd", outUsd.toPlainString());
            row.put("net_usd", netUsd.toPlainString());
            totals[0] = totals[0].add(floatUsd);
            totals[1] = totals[1].add(outUsd);
            totals[2] = totals[2].add(netUsd);
            rows.add(row);
        });
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("as_of", (positions.isEmpty() ? treasury.now() : positions.get(0).at()).toString());
        body.put("reporting_currency", Treasury.REPORTING.name());
        body.put("data", rows);
        body.put("total_float_usd", totals[0].toPlainString());
        body.put("total_outflows_usd", totals[1].toPlainString());
        body.put("total_net_usd", totals[2].toPlainString());
        return body;
    }

    /**
     * Settled transfers per rail and destination currency, per UTC hour or day (by settlement time) in
     * [{@code from}, {@code to}): count, volume (and in USD), and the time from acceptance to settlement, p50 and p95
     * (PostgreSQL {@code percentile_cont}), per bucket and over the whole range.
     */
    public Map<String, Object> velocity(String bucket, Instant from, Instant to) {
        String sql = """
                select rail, destination_currency as currency, %s as bucket, count(*) as n,
                    sum(destination_amount_minor) as volume,
                    percentile_cont(0.5) within group (order by extract(epoch from settled_at - created_at)) as p50,
                    percentile_cont(0.95) within group (order by extract(epoch from settled_at - created_at)) as p95
                from transfers where settled_at is not null and settled_at >= ? and settled_at < ? and rail is not null
                group by %s order by rail, currency%s""";
        String bucketExpression = "date_trunc('" + bucket + "', settled_at at time zone 'UTC')";
        Map<String, Map<String, Object>> rails = new LinkedHashMap<>();
        jdbc.sql(sql.formatted("null", "rail, destination_currency", ""))
                .params(Timestamp.from(from), Timestamp.from(to))
                .query(rs -> {
                    Map<String, Object> row = stats(rs);
                    row.put("buckets", new ArrayList<Map<String, Object>>());
                    rails.put(rs.getString("rail") + "/" + rs.getString("currency"), row);
                });
        jdbc.sql(sql.formatted(bucketExpression, "rail, destination_currency, " + bucketExpression, ", bucket"))
                .params(Timestamp.from(from), Timestamp.from(to))
                .query(rs -> {
                    Map<String, Object> point = stats(rs);
                    point.remove("rail");
                    point.remove("currency");
                    point.put("start", rs.getTimestamp("bucket").toLocalDateTime().toInstant(java.time.ZoneOffset.UTC)
                            .toString());
                    @SuppressWarnings("unchecked")
                    List<Map<String, Object>> buckets = (List<Map<String, Object>>) rails
                            .get(rs.getString("rail") + "/" + rs.getString("currency")).get("buckets");
                    buckets.add(point);
                });
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("bucket", bucket);
        body.put("from", from.toString());
        body.put("to", to.toString());
        body.put("data", new ArrayList<>(rails.values()));
        return body;
    }

    private Map<String, Object> stats(java.sql.ResultSet rs) throws java.sql.SQLException {
        CurrencyCode currency = CurrencyCode.valueOf(rs.getString("currency"));
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("rail", rs.getString("rail"));
        row.put("currency", currency.name());
        row.put("count", rs.getLong("n"));
        row.put("volume", currency.fromMinor(rs.getLong("volume")).toPlainString());
        row.put("volume_usd", treasury.usd(currency, rs.getLong("volume")).toPlainString());
        row.put("accept_to_settle_p50_seconds", seconds(rs.getBigDecimal("p50")));
        row.put("accept_to_settle_p95_seconds", seconds(rs.getBigDecimal("p95")));
        return row;
    }

    private static String seconds(BigDecimal value) {
        return value == null ? null : value.setScale(3, RoundingMode.HALF_UP).toPlainString();
    }
}
