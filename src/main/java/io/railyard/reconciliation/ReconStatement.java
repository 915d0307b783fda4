package io.railyard.reconciliation;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.railyard.connector.ConnectorRegistry;
import io.railyard.ledger.CurrencyCode;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.support.DefaultExchange;
import org.springframework.stereotype.Component;

/**
 * Fetches a rail's statement through its connector's statement route ({@code direct:recon.<rail>.statement}, declared
 * in {@code connectors/<rail>/statement.camel.yaml}) and builds the normalised lines the route maps ({@link #line}).
 */
@Component("reconStatement")
public class ReconStatement {

    private static final Pattern COMPACT_UUID = Pattern.compile("[0-9a-fA-F]{32}");

    private final CamelContext camel;
    private final ProducerTemplate producer;
    private final ConnectorRegistry connectors;
    private final ObjectMapper json;

    public ReconStatement(CamelContext camel, ProducerTemplate producer, ConnectorRegistry connectors,
            ObjectMapper json) {
        this.camel = camel;
        this.producer = producer;
        this.connectors = connectors;
        this.json = json;
    }

    static String endpoint(String rail) {
        return "direct:recon." + rail + ".statement";
    }

    /** Whether the rail's connector declares a statement route. */
    public boolean supports(String rail) {
        return connectors.find(rail).isPresent() && camel.getRoute("recon." + rail + ".statement") != null;
    }

    /** The rails that can be reconciled (their connector declares a statement route), by name. */
    public List<String> rails() {
        return connectors.all().keySet().stream().filter(this::supports).sorted().toList();
    }

    /**
     * The rail's lines created in [from, to). The route gets the period as RFC 3339 ({@code railyardFrom},
     * {@code railyardTo}) and every UTC date it touches, one day either side ({@code railyardDates}), for rails that
     * publish per operation day in their own zone; lines outside the period are dropped here.
     */
    public List<StatementLine> fetch(String rail, Instant from, Instant to) {
        Exchange exchange = new DefaultExchange(camel);
        exchange.setProperty("railyardRail", rail);
        exchange.setProperty("railyardFrom", from.toString());
        exchange.setProperty("railyardTo", to.toString());
        List<String> dates = new ArrayList<>();
        for (LocalDate day = LocalDate.ofInstant(from, ZoneOffset.UTC).minusDays(1);
                !day.isAfter(LocalDate.ofInstant(to, ZoneOffset.UTC).plusDays(1)); day = day.plusDays(1)) {
            dates.add(day.toString());
        }
        exchange.setProperty("railyardDates", dates);
        Exchange done = producer.send(endpoint(rail), exchange);
        if (done.getException() != null) {
            throw new IllegalStateException("statement of " + rail + " could not be read: "
                    + done.getException().getMessage(), done.getException());
        }
        List<StatementLine> lines = new ArrayList<>();
        flatten(done.getMessage().getBody(), lines);
        return lines.stream().filter(l -> !l.occurredAt().isBefore(from) && l.occurredAt().isBefore(to)).toList();
    }

    private static void flatten(Object body, List<StatementLine> into) {
        if (body instanceof StatementLine line) {
            into.add(line);
        } else if (body instanceof Collection<?> items) {
            items.forEach(item -> flatten(item, into));
        } else if (body != null) {
            throw new IllegalStateException("a statement route must end with a list of lines (bean reconStatement,"
                    + " method line), not " + body.getClass().getName());
        }
    }

    /**
     * Builds one normalised line from the properties the statement route set ({@code reconRailReference},
     * {@code reconTransferKey}, {@code reconReference}, {@code reconAmount}, {@code reconCurrency},
     * {@code reconRailStatus}, {@code reconOccurredAt}, {@code reconReturnedAt}) and the rail's record in the body.
     */
    public StatementLine line(Exchange exchange) throws JsonProcessingException {
        String rail = exchange.getProperty("railyardRail", String.class);
        Object record = exchange.getMessage().getBody();
        String currency = text(exchange, "reconCurrency");
        String transferKey = text(exchange, "reconTransferKey");
        String railStatus = text(exchange, "reconRailStatus");
        Instant occurred = time(exchange, "reconOccurredAt");
        if (occurred == null) {
            throw new IllegalStateException("statement of " + rail + ": a line without reconOccurredAt: " + record);
        }
        return new StatementLine(text(exchange, "reconRailReference"), transferKey, transferId(transferKey),
                text(exchange, "reconReference"), amountMinor(exchange, currency), currency, railStatus,
                connectors.outcome(rail, railStatus).name(), occurred, time(exchange, "reconReturnedAt"),
                json.writeValueAsString(record instanceof Map<?, ?> ? record : String.valueOf(record)));
    }

    private static Long amountMinor(Exchange exchange, String currency) {
        Object value = exchange.getProperty("reconAmount");
        Optional<CurrencyCode> code = CurrencyCode.parse(currency);
        if (value == null || value.toString().isBlank() || code.isEmpty()) {
            return null; // an amount or currency the hub cannot read: compared as such (amount/currency mismatch)
        }
        BigDecimal amount = value instanceof BigDecimal decimal ? decimal : new BigDecimal(value.toString().trim());
        return amount.movePointRight(code.get().scale()).setScale(0, java.math.RoundingMode.UNNECESSARY)
                .longValueExact();
    }

    private static UUID transferId(String key) {
        if (key == null) {
            return null;
        }
        String hex = key.replace("-", "");
        if (!COMPACT_UUID.matcher(hex).matches()) {
            return null;
        }
        return UUID.fromString(hex.substring(0, 8) + "-" + hex.substring(8, 12) + "-" + hex.substring(12, 16) + "-"
                + hex.substring(16, 20) + "-" + hex.substring(20));
    }

    private static Instant time(Exchange exchange, String property) {
        String value = text(exchange, property);
        if (value == null) {
            return null;
        }
        try {
            return value.chars().allMatch(Character::isDigit) ? Instant.ofEpochMilli(Long.parseLong(value))
                    : Instant.parse(value);
        } catch (DateTimeParseException | NumberFormatException e) {
            throw new IllegalStateException(property + " '" + value + "' is neither RFC 3339 nor epoch milliseconds");
        }
    }

    private static String text(Exchange exchange, String property) {
        Object value = exchange.getProperty(property);
        return value == null || value.toString().isBlank() ? null : value.toString();
    }
}
