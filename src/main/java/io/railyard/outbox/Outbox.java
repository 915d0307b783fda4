package io.railyard.outbox;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.railyard.id.RowIds;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

/**
 * Appends events to the transactional outbox. It must run inside the transaction of the state change it announces:
 * both commit or neither does, and the relay publishes what committed.
 *
 * <p>A transaction's events are written together, in the order they were appended, by one statement among its
 * {@link AtCommit last writes}: a stage applying a poll of many records in one transaction writes all their events in
 * one round trip, with whatever else the transaction writes last.
 */
@Component
public class Outbox {

    private final AtCommit atCommit;
    private final ObjectMapper json;

    public Outbox(AtCommit atCommit, ObjectMapper json) {
        this.atCommit = atCommit;
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

    /** Appends events in this order (a batch's {@code transfer.accepted} events); their ids. */
    @Transactional(propagation = Propagation.MANDATORY)
    public List<UUID> appendAll(List<Event> events) {
        String createdAt = Instant.now().toString();
        List<Row> pending = pending();
        List<UUID> ids = new ArrayList<>(events.size());
        for (Event event : events) {
            UUID id = RowIds.next();
            pending.add(new Row(id, event.topic(), event.key(), event.type(),
                    envelope(id, event.type(), createdAt, event.data())));
            ids.add(id);
        }
        return ids;
    }

    /** An event to append: see {@link #append}. */
    public record Event(String topic, String key, String type, Object data) {
    }

    private record Row(UUID id, String topic, String key, String type, String payload) {
    }

    /** The events the current transaction has appended: a part of its last writes. */
    private List<Row> pending() {
        return atCommit.part(Pending.class, Pending::new).rows;
    }

    /** A transaction's events, written and queued for the relay ({@code outbox_pending}) just before it commits. */
    private static final class Pending implements AtCommit.Part {

        private final List<Row> rows = new ArrayList<>();

        @Override
        public AtCommit.Statement statement() {
            return rows.isEmpty() ? null : new AtCommit.Statement("""
                    with written as (
                        insert into outbox_events (event_id, topic, event_key, event_type, payload)
                        select e.id, e.topic, e.event_key, e.event_type, e.payload::json
                        from unnest(?::uuid[], ?::text[], ?::text[], ?::text[], ?::text[]) with ordinality
                            as e(id, topic, event_key, event_type, payload, n)
                        order by e.n
                        returning id)
                    insert into outbox_pending (id) select id from written""",
                    List.of(rows.stream().map(Row::id).toArray(UUID[]::new),
                    rows.stream().map(Row::topic).toArray(String[]::new),
                    rows.stream().map(Row::key).toArray(String[]::new),
                    rows.stream().map(Row::type).toArray(String[]::new),
                    rows.stream().map(Row::payload).toArray(String[]::new)));
        }
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
