package io.railyard.outbox;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.LinkedHashMap;
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
        Map<String, Object> envelope = new LinkedHashMap<>();
        envelope.put("id", id);
        envelope.put("type", type);
        envelope.put("created_at", Instant.now().toString());
        envelope.put("data", data);
        jdbc.sql("insert into outbox_events (event_id, topic, event_key, event_type, payload) values (?, ?, ?, ?, ?::json)")
                .params(id, topic, key, type, serialise(envelope)).update();
        return id;
    }

    private String serialise(Object envelope) {
        try {
            return json.writeValueAsString(envelope);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("event data is not serialisable: " + e.getOriginalMessage(), e);
        }
    }
}
