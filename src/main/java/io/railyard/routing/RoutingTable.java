package io.railyard.routing;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.railyard.connector.ConnectorRegistry;
import io.railyard.ledger.CurrencyCode;
import io.railyard.transfer.Protocol;
import io.railyard.transfer.Transfer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * The routing table, read from {@code config/routing.yaml} at start (an invalid table stops start-up) and re-read when
 * the file changes (an invalid edit is refused, logged, and the table in force stays). Deciding is a scan of a few
 * immutable rules: no I/O, no locks.
 */
@Component("routingTable")
public class RoutingTable {

    private static final Logger log = LoggerFactory.getLogger(RoutingTable.class);
    private static final Pattern RAIL = Pattern.compile("[a-z0-9][a-z0-9-]{0,39}");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private final Path file;
    private final Predicate<String> railExists;
    private volatile List<RoutingRule> rules;
    private volatile FileTime loadedVersion;
    private volatile String lastError;

    @Autowired
    public RoutingTable(@Value("${railyard.routing.table:${railyard.home}/config/routing.yaml}") String file,
            ConnectorRegistry connectors) {
        this(Path.of(file), rail -> connectors.find(rail).isPresent());
    }

    /** @param railExists whether a connector settles the named rail: a rule naming another is refused */
    public RoutingTable(Path file, Predicate<String> railExists) {
        this.file = file;
        this.railExists = railExists;
        this.rules = load(file, railExists);
        this.loadedVersion = modified(file);
    }

    /** The first rule that fits, or empty when none does. */
    public Optional<Decision> decide(Transfer transfer) {
        for (RoutingRule rule : rules) {
            if (rule.fits(transfer)) {
                return Optional.of(new Decision(rule.rail(), rule.fallback(), "rule " + rule.name()));
            }
        }
        return Optional.empty();
    }

    /** Re-reads the file if it changed since it was last read; called by the {@code routing.table.reload} route. */
    public boolean reloadIfChanged() {
        FileTime version = modified(file);
        if (version == null || version.equals(loadedVersion)) {
            return false;
        }
        loadedVersion = version;
        try {
            rules = load(file, railExists);
            lastError = null;
            log.info("Routing table reloaded from {}: {} rules", file, rules.size());
            return true;
        } catch (IllegalStateException e) {
            lastError = e.getMessage();
            log.error("Routing table edit refused, the previous table stays in force: {}", e.getMessage());
            return false;
        }
    }

    public List<RoutingRule> rules() {
        return rules;
    }

    public String lastError() {
        return lastError;
    }

    static List<RoutingRule> load(Path file, Predicate<String> railExists) {
        Table table;
        try {
            table = YAML.readValue(file.toFile(), Table.class);
        } catch (IOException e) {
            throw new IllegalStateException("routing table " + file + " is not readable: " + e.getMessage());
        }
        List<String> faults = new ArrayList<>();
        if (table == null || table.rules() == null || table.rules().isEmpty()) {
            faults.add("it has no rules");
        } else {
            Set<String> names = new HashSet<>();
            for (int i = 0; i < table.rules().size(); i++) {
                check(table.rules().get(i), "rules[" + i + "]", names, railExists, faults);
            }
        }
        if (!faults.isEmpty()) {
            throw new IllegalStateException("routing table " + file + " is invalid: " + String.join("; ", faults));
        }
        return List.copyOf(table.rules());
    }

    private static void check(RoutingRule rule, String at, Set<String> names, Predicate<String> railExists,
            List<String> faults) {
        if (rule.name() == null || !names.add(rule.name())) {
            faults.add(at + ".name is missing or not unique");
        }
        if (rule.rail() == null || !RAIL.matcher(rule.rail()).matches()) {
            faults.add(at + ".rail must name a connector (lowercase letters, digits, dashes)");
        }
        if (rule.fallback() != null && (!RAIL.matcher(rule.fallback()).matches() || rule.fallback().equals(rule.rail()))) {
            faults.add(at + ".fallback must name another connector");
        }
        for (String rail : new String[] {rule.rail(), rule.fallback()}) {
            if (rail != null && RAIL.matcher(rail).matches() && !railExists.test(rail)) {
                faults.add(at + " names rail '" + rail + "' but connectors/ has no such connector");
            }
        }
        RoutingRule.Match match = rule.match();
        if (match != null) {
            if (match.currency() != null && CurrencyCode.parse(match.currency()).isEmpty()) {
                faults.add(at + ".match.currency is not one of USD, BRL, MXN, USDC");
            }
            if (match.protocol() != null && Protocol.parse(match.protocol()).isEmpty()) {
                faults.add(at + ".match.protocol is not one of api, x402, ap2, acp");
            }
            if (match.minAmount() != null && match.maxAmount() != null
                    && match.minAmount().compareTo(match.maxAmount()) > 0) {
                faults.add(at + ".match.min_amount is above max_amount");
            }
        }
    }

    private static FileTime modified(Path file) {
        try {
            return Files.getLastModifiedTime(file);
        } catch (IOException e) {
            return null;
        }
    }

    record Table(List<RoutingRule> rules) {
    }

    /** Where a transfer goes and why. */
    public record Decision(String rail, String fallback, String reason) {
    }
}
