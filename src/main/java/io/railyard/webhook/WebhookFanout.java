package io.railyard.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.railyard.id.RowIds;
import java.io.IOException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Turns outbox events into webhook deliveries, driven by the {@code webhook.fanout.poll} route. Reads
 * {@code outbox_events} only (never changes it): each public event whose data (or envelope) names a
 * {@code partner_id} becomes one delivery per enabled endpoint of that partner whose filter matches and which existed
 * when the event was written.
 *
 * <p>Exactly once per (endpoint, event), in one transaction with the cursor: the cursor row is locked
 * {@code FOR UPDATE SKIP LOCKED} (one fan-out at a time across instances), deliveries are unique per
 * (endpoint, event), and the cursor moves with them. Outbox ids are allocated before commit, so a lower id can become
 * visible after a higher one: ids skipped over are kept as gaps and looked at again until their event appears, or
 * until the gap timeout says the transaction rolled back.
 */
@Component("webhookFanout")
public class WebhookFanout {

    private static final Logger log = LoggerFactory.getLogger(WebhookFanout.class);
    private static final int MAX_GAP_RUN = 10_000;

    private final JdbcClient jdbc;
    private final JdbcTemplate template;
    private final TransactionTemplate tx;
    private final ObjectMapper json;
    private final WebhookSettings settings;
    private final WebhookMetrics metrics;

    WebhookFanout(JdbcClient jdbc, JdbcTemplate template, TransactionTemplate tx, ObjectMapper json,
            WebhookSettings settings, WebhookMetrics metrics) {
        this.jdbc = jdbc;
        this.template = template;
        this.tx = tx;
        this.json = json;
        this.settings = settings;
        this.metrics = metrics;
    }

    private record Event(long id, UUID eventId, String type, String payload, Instant createdAt) {
    }

    private record Target(UUID id, UUID partnerId, List<String> eventTypes, Instant createdAt) {
    }

    /** Fans out every committed event not handled yet; returns the number of deliveries created. */
    public int poll() {
        int created = 0;
        while (true) {
            int[] batch = tx.execute(status -> fanOutBatch());
            created += batch[1];
            if (batch[0] < settings.fanoutBatch()) {
                break;
            }
        }
        if (created > 0) {
            metrics.fannedOut(created);
        }
        return created;
    }

    /** One transaction: {events read past the high water mark, deliveries created}. */
    private int[] fanOutBatch() {
        WebhookDispatcher.asyncCommit(jdbc); // lost in a crash = fanned out again from the same outbox rows
        Long highWater = jdbc.sql("select high_water from webhook_fanout_cursor where id = 1 for update skip locked")
                .query(Long.class).optional().orElse(null);
        if (highWater == null) {
            return new int[] {0, 0}; // another instance is fanning out
        }
        List<Long> gaps = jdbc.sql("select outbox_id from webhook_fanout_gaps order by outbox_id").query(Long.class)
                .list();
        List<Event> events = jdbc.sql("""
                select id, event_id, event_type, payload::text as payload, created_at from outbox_events
                where id > ? order by id limit ?""").params(highWater, settings.fanoutBatch()).query(this::event)
                .list();
        List<Event> filled = gaps.isEmpty() ? List.of() : jdbc.sql("""
                select id, event_id, event_type, payload::text as payload, created_at from outbox_events
                where id = any(?) order by id""").param(gaps.toArray(Long[]::new)).query(this::event).list();
        List<Event> all = new ArrayList<>(filled);
        all.addAll(events);
        int created = deliver(all);

        if (!filled.isEmpty()) {
            jdbc.sql("delete from webhook_fanout_gaps where outbox_id = any(?)")
                    .param(filled.stream().map(Event::id).toArray(Long[]::new)).update();
        }
        if (!events.isEmpty()) {
            List<Object[]> newGaps = new ArrayList<>();
            long expected = highWater + 1;
            for (Event event : events) {
                if (event.id() - expected > MAX_GAP_RUN) {
                    log.warn("Outbox ids {}..{} skipped by the sequence; not tracked as gaps", expected, event.id() - 1);
                } else {
                    for (long missing = expected; missing < event.id(); missing++) {
                        newGaps.add(new Object[] {missing});
                    }
                }
                expected = event.id() + 1;
            }
            if (!newGaps.isEmpty()) {
                template.batchUpdate("insert into webhook_fanout_gaps (outbox_id) values (?) on conflict do nothing",
                        newGaps, new int[] {Types.BIGINT});
            }
            jdbc.sql("update webhook_fanout_cursor set high_water = ?, updated_at = now() where id = 1")
                    .param(events.get(events.size() - 1).id()).update();
        }
        List<Long> expired = jdbc.sql("delete from webhook_fanout_gaps where seen_at < now() - ? * interval "
                + "'1 millisecond' returning outbox_id").param(settings.fanoutGapTimeout().toMillis())
                .query(Long.class).list();
        if (!expired.isEmpty()) {
            log.info("Outbox ids {} never committed within {}: taken for rolled-back transactions", expired,
                    settings.fanoutGapTimeout());
        }
        return new int[] {events.size(), created};
    }

    private int deliver(List<Event> events) {
        Map<Long, UUID> partnerOf = new HashMap<>();
        Set<UUID> partners = new LinkedHashSet<>();
        for (Event event : events) {
            if (!WebhookEventTypes.isPublic(event.type()) || WebhookEventTypes.TEST.equals(event.type())) {
                continue;
            }
            UUID partner = partnerOf(event);
            if (partner != null) {
                partnerOf.put(event.id(), partner);
                partners.add(partner);
            }
        }
        if (partners.isEmpty()) {
            return 0;
        }
        Map<UUID, List<Target>> targets = new HashMap<>();
        jdbc.sql("select id, partner_id, event_types, created_at from webhook_endpoints where enabled "
                + "and partner_id = any(?)").param(partners.toArray(UUID[]::new))
                .query((rs, n) -> new Target(rs.getObject("id", UUID.class), rs.getObject("partner_id", UUID.class),
                        WebhookEndpoints.strings(rs.getArray("event_types")),
                        rs.getTimestamp("created_at").toInstant()))
                .list().forEach(target -> targets.computeIfAbsent(target.partnerId(), p -> new ArrayList<>())
                        .add(target));
        if (targets.isEmpty()) {
            return 0;
        }
        long firstDelayMicros = settings.compress(settings.schedule().get(0)).toNanos() / 1000;
        List<Object[]> rows = new ArrayList<>();
        for (Event event : events) {
            UUID partner = partnerOf.get(event.id());
            for (Target target : partner == null ? List.<Target>of() : targets.getOrDefault(partner, List.of())) {
                if (!event.createdAt().isBefore(target.createdAt())
                        && WebhookEventTypes.matches(target.eventTypes(), event.type())) {
                    rows.add(new Object[] {RowIds.next(), target.id(), partner, event.eventId(), event.type(),
                            event.payload(), firstDelayMicros});
                }
            }
        }
        if (rows.isEmpty()) {
            return 0;
        }
        int created = 0;
        for (int count : template.batchUpdate("""
                insert into webhook_deliveries (id, endpoint_id, partner_id, event_id, event_type, payload, status,
                    next_attempt_at)
                values (?, ?, ?, ?, ?, ?, 'PENDING', now() + ? * interval '1 microsecond')
                on conflict (endpoint_id, event_id) do nothing""", rows, new int[] {Types.OTHER, Types.OTHER,
                Types.OTHER, Types.OTHER, Types.VARCHAR, Types.VARCHAR, Types.BIGINT})) {
            created += Math.max(count, 0);
        }
        return created;
    }

    /** The partner an event is about: {@code data.partner_id}, else a top-level {@code partner_id}; null if none. */
    private UUID partnerOf(Event event) {
        try {
            JsonNode envelope = json.readTree(event.payload());
            JsonNode partner = envelope.path("data").path("partner_id");
            if (!partner.isTextual()) {
                partner = envelope.path("partner_id");
            }
            return partner.isTextual() ? UUID.fromString(partner.asText()) : null;
        } catch (IOException | IllegalArgumentException e) {
            log.warn("Outbox event {} ({}) is not a readable envelope: not delivered", event.eventId(), event.type());
            return null;
        }
    }

    private Event event(java.sql.ResultSet rs, int n) throws java.sql.SQLException {
        return new Event(rs.getLong("id"), rs.getObject("event_id", UUID.class), rs.getString("event_type"),
                rs.getString("payload"), rs.getTimestamp("created_at").toInstant());
    }
}
