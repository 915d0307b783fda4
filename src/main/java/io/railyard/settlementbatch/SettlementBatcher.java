package io.railyard.settlementbatch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.railyard.connector.ConnectorDescriptor;
import io.railyard.connector.ConnectorRegistry;
import io.railyard.window.SettlementWindows;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.processor.aggregate.jdbc.JdbcAggregationRepository;
import org.apache.camel.support.DefaultMessage;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.stereotype.Component;

/**
 * The window aggregator's decisions (routes/settlement-batches.camel.yaml): which window an instruction belongs to,
 * when a window's batch is complete (cut off by the window tick, or full), and which windows are due.
 */
@Component("settlementBatcher")
public class SettlementBatcher {

    static final String GROUP = "railyardBatchGroup";
    static final String MAX_ITEMS = "railyardBatchMaxItems";
    static final String CLOSED = "railyardWindowClosed";

    private final SettlementWindows windows;
    private final ConnectorRegistry connectors;
    private final JdbcAggregationRepository repository;
    private final ObjectMapper json;
    private final Clock clock;

    @Autowired
    public SettlementBatcher(SettlementWindows windows, ConnectorRegistry connectors,
            @Qualifier("settlementBatchRepository") JdbcAggregationRepository repository, ObjectMapper json,
            Clock clock) {
        this.windows = windows;
        this.connectors = connectors;
        this.repository = repository;
        this.json = json;
        this.clock = clock;
    }

    /**
     * A poll of routed transfers' events → one message per window group: its key and size limit (headers) and its
     * transfers' ids in the order polled (body), so the aggregator rewrites a group once per poll, not once per
     * transfer. The window is the one of the moment a transfer was routed, so a redelivered event joins the same
     * group (and a late one a group due at once).
     */
    public List<Message> groups(List<Exchange> records) throws IOException {
        Map<String, Message> groups = new LinkedHashMap<>();
        for (Exchange record : records) {
            JsonNode data = json.readTree(record.getIn().getBody(String.class)).path("data");
            String rail = data.path("rail").asText();
            String currency = data.path("destination").path("currency").asText();
            Instant routedAt = Instant.parse(data.path("updated_at").asText());
            Optional<SettlementWindows.BatchWindow> window = windows.batchWindow(rail, currency, routedAt);
            // batching switched off since it was routed: a group of its own, due at once
            WindowGroup group = new WindowGroup(rail, currency, window.map(SettlementWindows.BatchWindow::end)
                    .orElse(routedAt));
            Message message = groups.computeIfAbsent(group.key(), key -> {
                int railLimit = connectors.batches(rail).map(ConnectorDescriptor.Batches::maxLines).orElse(1);
                Message m = new DefaultMessage(record.getContext());
                m.setHeader(GROUP, key);
                m.setHeader(MAX_ITEMS, Math.min(railLimit, window.map(SettlementWindows.BatchWindow::maxItems)
                        .orElse(1)));
                m.setBody(new ArrayList<String>());
                return m;
            });
            @SuppressWarnings("unchecked")
            List<String> ids = message.getBody(List.class);
            ids.add(data.path("id").asText());
        }
        return List.copyOf(groups.values());
    }

    /**
     * The aggregator's completion predicate: the window was cut off, or the batch is full. A poll may overfill it:
     * sealing splits it into batches of at most the limit ({@link SettlementBatches#seal}).
     */
    public boolean complete(Exchange aggregated) {
        return aggregated.getIn().getHeader(CLOSED, false, Boolean.class)
                || aggregated.getIn().getBody(List.class).size()
                        >= aggregated.getIn().getHeader(MAX_ITEMS, Integer.MAX_VALUE, Integer.class);
    }

    /** Keys of the open groups whose window has ended (the repository is shared by every hub instance). */
    public List<String> dueGroups() {
        Instant now = clock.instant();
        List<String> due = new ArrayList<>();
        for (String key : repository.getKeys()) {
            if (WindowGroup.parse(key).dueAt(now)) {
                due.add(key);
            }
        }
        due.sort(null);
        return due;
    }
}
