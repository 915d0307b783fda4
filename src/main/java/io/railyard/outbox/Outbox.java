package io.railyard.outbox;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

/**
 * Appends events to the transactional outbox. It must run inside the transaction of the state change it announces:
 * both commit or neither does, and the relay publishes what committed.
 */
@Component
public class Outbox {

    private final JdbcTemplate template;
    private final ObjectMapper json;

    public Outbox(JdbcTemplate template, ObjectMapper json) {
        this.template = template;
        this.json = json;
    }

    /**
     * @param topic the Kafka topic ({@code railyard.<feature>.<event>.v1})
     * @param key   the ordering key (events of one key are delivered in the order they were written)
     * @param type  the event type partners and consumers see ({@code transfer.accepted})
     * @return the event's id: stable across redeliveries, consumers dedupe by it
     */
    @Transactional(propagation = Propagation.MANDATORY)
    public UUID append(String topic, String key, String type, Object data) {
        return appendAll(List.of(new Event(topic, key, type, data))).get(0);
    }

    /** Appends events in one statement, in this order (a batch's {@code transfer.accepted} events); their ids. */
    @Transactional(propagation = Propagation.MANDATORY)
    public List<UUID> appendAll(List<Event> events) {
        List<UUID> ids = new ArrayList<>();
        List<Object[]> rows = new ArrayList<>();
        String createdAt = Instant.now().toString();
        for (Event event : events) {
            UUID id = UUID.randomUUID();
            Map<String, Object> envelope = new LinkedHashMap<>();
            envelope.put("id", id);
            envelope.put("type", event.type());
            envelope.put("created_at", createdAt);
            envelope.put("data", event.data());
            ids.add(id);
            rows.add(new Object[] {id, event.topic(), event.key(), event.type(), serialise(envelope)});
        }
        template.batchUpdate("insert into outbox_events (event_id, topic, event_key, event_type, payload) "
                + "values (?, ?, ?, ?, ?::json)", rows);
        return ids;
    }

    /** An event to append: see {@link #append}. */
    public record Event(String topic, String key, String type, Object data) {
    }

    private String serialise(Object envelope) {
        try {
            return json.writeValueAsString(envelope);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("event data is not serialisable: " + e.getOriginalMessage(), e);
        }
    }
}
