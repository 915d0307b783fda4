package io.railyard.treasury;

import io.railyard.connector.ConnectorRegistry;
import io.railyard.fx.FxRates;
import io.railyard.ledger.AccountKind;
import io.railyard.ledger.CurrencyCode;
import io.railyard.ledger.Ledger;
import io.railyard.ledger.OwnerType;
import io.railyard.treasury.TreasuryTable.RailCurrency;
import io.railyard.treasury.TreasuryTable.Thresholds;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;

/**
 * Where the hub's money stands at each rail, derived from the ledger and the transfers, now or at any past instant.
 *
 * <p>A rail's float is the money the hub holds at the rail: the negative of its ledger {@code SETTLEMENT} account
 * (settlements credit that account as money leaves through the rail; funding the float debits it). Outflows are the
 * rail's transfers {@code SUBMITTED} (in flight) and {@code QUEUED} (waiting for the next window), in the destination
 * currency, plus the trailing average of settled volume over {@code trailing-period} scaled to
 * {@code projection-horizon}. Coverage = float / projected outflows.
 */
@Service
public class Treasury {

    static final CurrencyCode REPORTING = CurrencyCode.USD;

    private final JdbcClient jdbc;
    private final Ledger ledger;
    private final FxRates fx;
    private final Clock clock;
    private final TreasuryTable table;

    Treasury(JdbcClient jdbc, Ledger ledger, FxRates fx, Clock clock, ConnectorRegistry connectors,
            @Value("${railyard.treasury.table:${railyard.home}/config/treasury.yaml}") String table) {
        this.jdbc = jdbc;
        this.ledger = ledger;
        this.fx = fx;
        this.clock = clock;
        this.table = TreasuryTable.load(Path.of(table), connectors.all());
    }

    /** One float: a rail in one currency, at one instant. Amounts in minor units of {@code currency}. */
    public record Position(String rail, CurrencyCode currency, Instant at, long settlementBalanceMinor,
            long inFlightMinor, long inFlightCount, long queuedMinor, long queuedCount, long trailingMinor,
            Thresholds thresholds) {

        public long floatMinor() {
            return -settlementBalanceMinor;
        }

        public long projectedMinor() {
            return inFlightMinor + queuedMinor + trailingMinor;
        }

        /** float / projected, 4 decimals; empty when nothing is projected to leave. */
        public Optional<BigDecimal> coverage() {
            long projected = projectedMinor();
            return projected == 0 ? Optional.empty()
                    : Optional.of(BigDecimal.valueOf(floatMinor()).divide(BigDecimal.valueOf(projected), 4,
                            RoundingMode.HALF_EVEN));
        }

        /** Below the low threshold (with no outflow projected: an overdrawn float). */
        boolean belowLow() {
            return thresholds != null && coverage().map(c -> c.compareTo(thresholds.low()) < 0)
                    .orElse(floatMinor() < 0);
        }

        /** Recovered (at or above the recover threshold; with no outflow projected: a float not overdrawn). */
        boolean recovered() {
            return thresholds == null || coverage().map(c -> c.compareTo(thresholds.recover()) >= 0)
                    .orElse(floatMinor() >= 0);
        }

        RailCurrency key() {
            return new RailCurrency(rail, currency);
        }
    }

    TreasuryTable table() {
        return table;
    }

    public Instant now() {
        return clock.instant();
    }

    /** Every float the hub has or is configured for, now. */
    public List<Position> positions() {
        return positions(null);
    }

    /**
     * Every float the hub has or is configured for, as it stood at {@code at} (null: now): configured rails, rails
     * with a settlement account and rails with outflows.
     */
    public List<Position> positions(Instant at) {
        Instant when = at == null ? clock.instant() : at;
        Map<RailCurrency, Long> settlement = new HashMap<>();
        (at == null ? ledger.balances(OwnerType.RAIL) : ledger.balancesAt(OwnerType.RAIL, at)).stream()
                .filter(account -> account.key().kind() == AccountKind.SETTLEMENT)
                .forEach(account -> settlement.put(new RailCurrency(account.key().ownerId(),
                        account.key().currency()), account.balanceMinor()));
        Map<RailCurrency, long[]> submitted = new HashMap<>();
        Map<RailCurrency, long[]> queued = new HashMap<>();
        outflows(at).forEach(row -> (row.status().equals("SUBMITTED") ? submitted : queued)
                .put(row.key(), new long[] {row.amountMinor(), row.count()}));
        Map<RailCurrency, Long> trailing = trailing(when);

        TreeMap<RailCurrency, Boolean> keys = new TreeMap<>();
        table.thresholds().keySet().forEach(k -> keys.put(k, true));
        settlement.keySet().forEach(k -> keys.put(k, true));
        submitted.keySet().forEach(k -> keys.put(k, true));
        queued.keySet().forEach(k -> keys.put(k, true));
        List<Position> positions = new ArrayList<>();
        for (RailCurrency key : keys.keySet()) {
            long[] inFlight = submitted.getOrDefault(key, new long[2]);
            long[] waiting = queued.getOrDefault(key, new long[2]);
            positions.add(new Position(key.rail(), key.currency(), when, settlement.getOrDefault(key, 0L),
                    inFlight[0], inFlight[1], waiting[0], waiting[1], trailing.getOrDefault(key, 0L),
                    table.thresholds().get(key)));
        }
        return positions;
    }

    private record Outflow(RailCurrency key, String status, long amountMinor, long count) {
    }

    /** SUBMITTED and QUEUED transfers per rail and destination currency; at an instant, from the transitions. */
    private List<Outflow> outflows(Instant at) {
        String sql = at == null ? """
                select rail, destination_currency, status, sum(destination_amount_minor) as amount, count(*) as n
                from transfers where status in ('SUBMITTED', 'QUEUED') and rail is not null
                group by rail, destination_currency, status"""
                : """
                select t.rail, t.destination_currency, s.to_status as status,
                    sum(t.destination_amount_minor) as amount, count(*) as n
                from (select distinct on (transfer_id) transfer_id, to_status from transfer_transitions
                      where at <= ? order by transfer_id, id desc) s
                join transfers t on t.id = s.transfer_id
                where s.to_status in ('SUBMITTED', 'QUEUED') and t.rail is not null
                group by t.rail, t.destination_currency, s.to_status""";
        var statement = jdbc.sql(sql);
        if (at != null) {
            statement = statement.param(Timestamp.from(at));
        }
        return statement.query((rs, n) -> new Outflow(new RailCurrency(rs.getString("rail"),
                CurrencyCode.valueOf(rs.getString("destination_currency"))), rs.getString("status"),
                rs.getLong("amount"), rs.getLong("n"))).list();
    }

    /** Settled volume over the trailing period before {@code at}, scaled to the projection horizon (rounded up). */
    private Map<RailCurrency, Long> trailing(Instant at) {
        Map<RailCurrency, Long> trailing = new HashMap<>();
        BigDecimal scale = BigDecimal.valueOf(table.projectionHorizon().toMillis())
                .divide(BigDecimal.valueOf(table.trailingPeriod().toMillis()), 12, RoundingMode.HALF_EVEN);
        jdbc.sql("""
                select rail, destination_currency, sum(destination_amount_minor) as volume from transfers
                where settled_at is not null and settled_at > ? and settled_at <= ? and rail is not null
                group by rail, destination_currency""")
                .params(Timestamp.from(at.minus(table.trailingPeriod())), Timestamp.from(at))
                .query(rs -> {
                    trailing.put(new RailCurrency(rs.getString("rail"),
                            CurrencyCode.valueOf(rs.getString("destination_currency"))),
                            BigDecimal.valueOf(rs.getLong("volume")).multiply(scale)
                                    .setScale(0, RoundingMode.CEILING).longValueExact());
                });
        return trailing;
    }

    /** An amount of {@code currency} (minor units) in the reporting currency at the mid rate, to the cent. */
    public BigDecimal usd(CurrencyCode currency, long minor) {
        return currency.fromMinor(minor).multiply(fx.rate(currency, REPORTING)).setScale(REPORTING.scale(),
                RoundingMode.HALF_EVEN);
    }

    public BigDecimal usdRate(CurrencyCode currency) {
        return fx.rate(currency, REPORTING);
    }
}
