package io.railyard.outbox;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

/**
 * Appends events to the transactional outbox. It must run inside the transaction of the state change it announces:
 * both commit or neither does, and the relay publishes what committed.
 */
@Component
public class Outbox {

    private final JdbcClient jdbc;
    private final ObjectMapper json;

    public Outbox(JdbcClient jdbc, ObjectMapper json) {
        this.jdbc = jdbc;
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
        UUID id = UUID.randomUUID();
        // one event (every transition's): plain parameters, no arrays to build and bind
        jdbc.sql("""
                insert into outbox_events (event_id, topic, event_key, event_type, payload)
                values (?, ?, ?, ?, ?::json)""")
                .params(id, topic, key, type, envelope(id, type, Instant.now().toString(), data)).update();
        return id;
    }

    /** Appends events in one statement, in this order (a batch's {@code transfer.accepted} events); their ids. */
    @Transactional(propagation = Propagation.MANDATORY)
    public List<UUID> appendAll(List<Event> events) {
        UUID[] ids = new UUID[events.size()];
        String[] payloads = new String[events.size()];
        String createdAt = Instant.now().toString();
        for (int i = 0; i < ids.length; i++) {
            ids[i] = UUID.randomUUID();
            payloads[i] = envelope(ids[i], events.get(i).type(), createdAt, events.get(i).data());
        }
        jdbc.sql("""
                insert into outbox_events (event_id, topic, event_key, event_type, payload)
                select e.id, e.topic, e.event_key, e.event_type, e.payload::json
                from unnest(?::uuid[], ?::text[], ?::text[], ?::text[], ?::text[]) with ordinality
                    as e(id, topic, event_key, event_type, payload, n)
                order by e.n""")
                .params(ids, events.stream().map(Event::topic).toArray(String[]::new),
                        events.stream().map(Event::key).toArray(String[]::new),
                        events.stream().map(Event::type).toArray(String[]::new), payloads)
                .update();
        return List.of(ids);
    }

    /** An event to append: see {@link #append}. */
    public record Event(String topic, String key, String type, Object data) {
    }

    /** The event as consumers read it: its id, type, time and data. */
    private String envelope(UUID id, String type, String createdAt, Object data) {
        Map<String, Object> envelope = new LinkedHashMap<>();
        envelope.put("id", id);
        envelope.put("type", type);
        envelope.put("created_at", createdAt);
        envelope.put("data", data);
        try {
            return json.writeValueAsString(envelope);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("event data is not serialisable: " + e.getOriginalMessage(), e);
        }
    }
}
