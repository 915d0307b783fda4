package io.railyard.outbox;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Moves committed outbox events to Kafka, oldest first. One relay runs at a time across all hub instances (a
 * transaction-scoped advisory lock), so per-key order holds; an event leaves the relay's queue ({@code outbox_pending})
 * only after Kafka acknowledged it, so a crash anywhere re-sends rather than loses (consumers dedupe by the
 * {@code railyard-event-id} header).
 * Driven by the {@code outbox.relay.poll} route.
 */
@Component("outboxRelay")
public class OutboxRelay implements DisposableBean {

    /** Any constant: the advisory lock that makes the relay a singleton across instances. */
    private static final long RELAY_LOCK = 0x5241494c_4f555442L;

    private final JdbcClient jdbc;
    private final TransactionTemplate tx;
    private final Producer<String, String> producer;
    private final int batchSize;

    public OutboxRelay(JdbcClient jdbc, TransactionTemplate tx,
            @Value("${camel.component.kafka.brokers}") String brokers,
            @Value("${railyard.outbox.batch-size:500}") int batchSize) {
        this.jdbc = jdbc;
        this.tx = tx;
        this.batchSize = batchSize;
        this.producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.LINGER_MS_CONFIG, 2,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000,
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000,
                ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000,
                ProducerConfig.CLIENT_ID_CONFIG, "railyard-outbox-relay"),
                new StringSerializer(), new StringSerializer());
    }

    /** Publishes pending events until none is left; returns how many were published. */
    public int relayPending() {
        int total = 0;
        int published;
        do {
            published = tx.execute(status -> relayBatch());
            total += published;
        } while (published == batchSize);
        return total;
    }

    private int relayBatch() {
        Boolean leader = jdbc.sql("select pg_try_advisory_xact_lock(?)").param(RELAY_LOCK).query(Boolean.class).single();
        if (!Boolean.TRUE.equals(leader)) {
            return 0;
        }
        List<Pending> pending = jdbc.sql("""
                select e.id, e.event_id, e.topic, e.event_key, e.event_type, e.payload::text as payload
                from outbox_pending p join outbox_events e on e.id = p.id order by p.id limit ?""")
                .param(batchSize)
                .query((rs, n) -> new Pending(rs.getLong("id"), rs.getString("event_id"), rs.getString("topic"),
                        rs.getString("event_key"), rs.getString("event_type"), rs.getString("payload")))
                .list();
        if (pending.isEmpty()) {
            return 0;
        }
        List<Future<RecordMetadata>> acks = new ArrayList<>(pending.size());
        for (Pending event : pending) {
            ProducerRecord<String, String> record = new ProducerRecord<>(event.topic(), event.key(), event.payload());
            record.headers().add("railyard-event-id", event.eventId().getBytes(StandardCharsets.UTF_8));
            record.headers().add("railyard-event-type", event.type().getBytes(StandardCharsets.UTF_8));
            acks.add(producer.send(record));
        }
        producer.flush();
        for (Future<RecordMetadata> ack : acks) {
            awaitAck(ack);
        }
        jdbc.sql("delete from outbox_pending where id = any(?)")
                .param(pending.stream().map(Pending::id).toArray(Long[]::new)).update();
        return pending.size();
    }

    private static void awaitAck(Future<RecordMetadata> ack) {
        try {
            ack.get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while Kafka acknowledged the outbox batch", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("Kafka did not acknowledge the outbox batch; it will be sent again", e);
        }
    }

    @Override
    public void destroy() {
        producer.close(java.time.Duration.ofSeconds(5));
    }

    private record Pending(long id, String eventId, String topic, String key, String type, String payload) {
    }
}
