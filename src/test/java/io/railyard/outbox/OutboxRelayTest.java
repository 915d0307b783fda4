package io.railyard.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.railyard.HubTest;
import io.railyard.KafkaProbe;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.camel.CamelContext;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionTemplate;

class OutboxRelayTest extends HubTest {

    @Autowired
    Outbox outbox;
    @Autowired
    CamelContext camel;
    @Autowired
    TransactionTemplate tx;
    @Value("${camel.component.kafka.brokers}")
    String brokers;

    @Test
    void anEventCommittedWhileTheRelayIsDownIsPublishedOnceWhenItComesBack() throws Exception {
        String topic = "railyard.test.outbox-" + UUID.randomUUID() + ".v1";
        camel.getRouteController().stopRoute("outbox.relay.poll");
        UUID eventId;
        try {
            eventId = tx.execute(status -> outbox.append(topic, "key-1", "test.happened", Map.of("n", 1)));
            assertThat(published(eventId)).isFalse();
        } finally {
            camel.getRouteController().startRoute("outbox.relay.poll");
        }

        await().atMost(Duration.ofSeconds(20)).until(() -> published(eventId));
        List<ConsumerRecord<String, String>> records = consume(topic, 1);
        assertThat(records).hasSize(1);
        assertThat(new String(records.get(0).headers().lastHeader("railyard-event-id").value(), StandardCharsets.UTF_8))
                .isEqualTo(eventId.toString());
        assertThat(records.get(0).key()).isEqualTo("key-1");
        assertThat(records.get(0).value()).contains("\"type\":\"test.happened\"").contains("\"data\":{\"n\":1}");
    }

    @Test
    void anEventOfARolledBackTransactionIsNeverPublished() {
        String topic = "railyard.test.outbox-" + UUID.randomUUID() + ".v1";
        UUID[] id = new UUID[1];
        tx.executeWithoutResult(status -> {
            id[0] = outbox.append(topic, "k", "test.rolled-back", Map.of());
            status.setRollbackOnly();
        });
        assertThat(jdbc.sql("select count(*) from outbox_events where event_id = ?").param(id[0])
                .query(Long.class).single()).isZero();
    }

    @Test
    void aTransactionsEventsAreWrittenTogetherAtItsCommitInTheOrderAppended() {
        String topic = "railyard.test.outbox-" + UUID.randomUUID() + ".v1";
        List<UUID> ids = new ArrayList<>();
        tx.executeWithoutResult(status -> {
            ids.add(outbox.append(topic, "k", "test.first", Map.of()));
            ids.addAll(outbox.appendAll(List.of(new Outbox.Event(topic, "k", "test.second", Map.of()),
                    new Outbox.Event(topic, "k", "test.third", Map.of()))));
            ids.add(outbox.append(topic, "k", "test.fourth", Map.of()));
            assertThat(eventsOn(topic)).as("nothing written before the commit").isEmpty();
        });
        assertThat(eventsOn(topic)).containsExactlyElementsOf(ids);
    }

    @Test
    void anInnerTransactionWritesItsOwnEventsWhateverTheOuterOneDoes() {
        String topic = "railyard.test.outbox-" + UUID.randomUUID() + ".v1";
        TransactionTemplate inner = new TransactionTemplate(tx.getTransactionManager());
        inner.setPropagationBehavior(TransactionDefinition.PROPAGATION_REQUIRES_NEW);
        UUID[] innerId = new UUID[1];
        tx.executeWithoutResult(status -> {
            outbox.append(topic, "k", "test.outer", Map.of());
            innerId[0] = inner.execute(innerStatus -> outbox.append(topic, "k", "test.inner", Map.of()));
            status.setRollbackOnly();
        });
        assertThat(eventsOn(topic)).containsExactly(innerId[0]);
    }

    private List<UUID> eventsOn(String topic) {
        return jdbc.sql("select event_id from outbox_events where topic = ? order by id").param(topic)
                .query(UUID.class).list();
    }

    @Test
    void eventsOfOneKeyArriveInTheOrderTheyWereWritten() throws Exception {
        String topic = "railyard.test.outbox-" + UUID.randomUUID() + ".v1";
        for (int i = 0; i < 50; i++) {
            int n = i;
            tx.executeWithoutResult(status -> outbox.append(topic, "same-key", "test.seq", Map.of("n", n)));
        }
        List<ConsumerRecord<String, String>> records = consume(topic, 50);
        assertThat(records).hasSize(50);
        for (int i = 0; i < 50; i++) {
            assertThat(records.get(i).value()).contains("\"data\":{\"n\":" + i + "}");
        }
    }

    private boolean published(UUID eventId) {
        return jdbc.sql("select not exists (select 1 from outbox_pending p join outbox_events e on e.id = p.id "
                + "where e.event_id = ?)").param(eventId).query(Boolean.class).single();
    }

    private List<ConsumerRecord<String, String>> consume(String topic, int expected) {
        return KafkaProbe.read(brokers, topic, expected);
    }
}
