package io.railyard.treasury;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.railyard.connector.ConnectorDescriptor;
import io.railyard.ledger.CurrencyCode;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Period;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code config/treasury.yaml}, read and checked against the connectors: every fault named, or the hub does not start.
 */
record TreasuryTable(Duration trailingPeriod, Duration projectionHorizon, Period snapshotRetention,
        Map<RailCurrency, Thresholds> thresholds) {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .setPropertyNamingStrategy(PropertyNamingStrategies.KEBAB_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    /** A rail float: one rail, one currency. */
    record RailCurrency(String rail, CurrencyCode currency) implements Comparable<RailCurrency> {
        @Override
        public int compareTo(RailCurrency other) {
            int byRail = rail.compareTo(other.rail);
            return byRail != 0 ? byRail : currency.compareTo(other.currency);
        }

        @Override
        public String toString() {
            return rail + "/" + currency;
        }
    }

    /** Coverage thresholds of one float: alert below {@code low}, cleared at {@code recover}, rebalanced to {@code target}. */
    record Thresholds(BigDecimal low, BigDecimal recover, BigDecimal target) {
    }

    record ThresholdsFile(BigDecimal low, BigDecimal recover, BigDecimal target) {
    }

    record TableFile(String trailingPeriod, String projectionHorizon, String snapshotRetention,
            Map<String, Map<String, ThresholdsFile>> rails) {
    }

    Optional<Thresholds> thresholds(String rail, CurrencyCode currency) {
        return Optional.ofNullable(thresholds.get(new RailCurrency(rail, currency)));
    }

    static TreasuryTable load(Path file, Map<String, ConnectorDescriptor> connectors) {
        TableFile table;
        try {
            table = YAML.readValue(file.toFile(), TableFile.class);
        } catch (IOException e) {
            throw new IllegalStateException("treasury table " + file + " is not readable: " + e.getMessage());
        }
        List<String> faults = new ArrayList<>();
        Duration trailing = duration(table.trailingPeriod(), "trailing-period", faults);
        Duration horizon = duration(table.projectionHorizon(), "projection-horizon", faults);
        Period retention = Period.ofDays(90);
        if (table.snapshotRetention() != null) {
            try {
                retention = Period.parse(table.snapshotRetention());
                if (retention.isNegative() || retention.isZero()) {
                    faults.add("snapshot-retention must be positive");
                }
            } catch (DateTimeParseException e) {
                faults.add("snapshot-retention '" + table.snapshotRetention() + "' is not an ISO-8601 period (P90D)");
            }
        }
        Map<RailCurrency, Thresholds> thresholds = new LinkedHashMap<>();
        if (table.rails() == null || table.rails().isEmpty()) {
            faults.add("rails lists none");
        } else {
            table.rails().forEach((rail, currencies) -> {
                ConnectorDescriptor connector = connectors.get(rail);
                if (connector == null) {
                    faults.add("rails." + rail + " is not a connector (connectors/" + rail + "/)");
                    return;
                }
                if (currencies == null || currencies.isEmpty()) {
                    faults.add("rails." + rail + " lists no currency");
                    return;
                }
                currencies.forEach((code, t) -> {
                    String at = "rails." + rail + "." + code;
                    Optional<CurrencyCode> currency = CurrencyCode.parse(code);
                    if (currency.isEmpty()) {
                        faults.add(at + ": " + code + " is not one of USD, BRL, MXN, USDC");
                    } else if (!connector.currencies().contains(code)) {
                        faults.add(at + ": connector " + rail + " does not pay out " + code);
                    } else if (valid(t, at, faults)) {
                        thresholds.put(new RailCurrency(rail, currency.get()),
                                new Thresholds(t.low(), t.recover(), t.target()));
                    }
                });
            });
        }
        if (!faults.isEmpty()) {
            throw new IllegalStateException("treasury table " + file + " is invalid: " + String.join("; ", faults));
        }
        return new TreasuryTable(trailing, horizon, retention, Map.copyOf(thresholds));
    }

    private static boolean valid(ThresholdsFile t, String at, List<String> faults) {
        if (t == null || t.low() == null || t.recover() == null || t.target() == null) {
            faults.add(at + " needs low, recover and target");
            return false;
        }
        int before = faults.size();
        if (t.low().signum() <= 0) {
            faults.add(at + ".low must be above 0");
        }
        if (t.recover().compareTo(t.low()) <= 0) {
            faults.add(at + ".recover must be above low (the hysteresis that keeps an alert from flapping)");
        }
        if (t.target().compareTo(t.recover()) < 0) {
            faults.add(at + ".target must be at least recover");
        }
        return faults.size() == before;
    }

    private static Duration duration(String value, String key, List<String> faults) {
        if (value == null) {
            faults.add(key + " is required (an ISO-8601 duration such as PT24H)");
            return Duration.ofHours(1);
        }
        try {
            Duration parsed = Duration.parse(value);
            if (parsed.isNegative() || parsed.isZero()) {
                faults.add(key + " must be positive");
            }
            return parsed;
        } catch (DateTimeParseException e) {
            faults.add(key + " '" + value + "' is not an ISO-8601 duration (PT24H)");
            return Duration.ofHours(1);
        }
    }
}
