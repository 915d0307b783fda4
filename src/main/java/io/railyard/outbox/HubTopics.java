package io.railyard.outbox;

import io.railyard.batch.Batches;
import io.railyard.connector.ConnectorRegistry;
import io.railyard.connector.RailGate;
import io.railyard.reconciliation.ReconciliationEngine;
import io.railyard.refund.Refunds;
import io.railyard.routing.TransferRouter;
import io.railyard.transfer.Transfers;
import io.railyard.treasury.FloatAlerts;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.camel.CamelContext;
import org.apache.camel.spring.boot.CamelContextConfiguration;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.InvalidPartitionsException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * Creates the hub's Kafka topics before its routes start: every event topic with {@code railyard.kafka.partitions}
 * partitions, each connector's instruction (and refund) topic with at least as many as the connector has consumers,
 * and waits until each partition has a leader.
 * Left to the broker's auto-creation, an event topic came into being under the outbox relay's first send to it: the
 * send met a partition without a leader, and the idempotent producer's retry was then refused as out of order until
 * its 30 s delivery timeout, so the relay, and the whole pipeline behind it, stood still for 30 s (BENCHMARKS.md).
 * An event topic that exists is left as it is: more partitions would move keys, and events of one transfer could then
 * be read out of order. A connector's topic with fewer partitions than its consumers is grown, since a consumer without
 * a partition idles and its rail then pays fewer payouts at once than configured; its instructions need no order
 * among themselves (each is claimed by the transfer's state). A broker that refuses (no rights to create topics) is
 * logged: the topics are then the operators' to create.
 */
@Component
public class HubTopics implements CamelContextConfiguration {

    private static final Logger log = LoggerFactory.getLogger(HubTopics.class);
    private static final Duration WAIT = Duration.ofSeconds(15);

    private final String brokers;
    private final int partitions;
    private final ConnectorRegistry connectors;

    public HubTopics(@Value("${camel.component.kafka.brokers}") String brokers,
            @Value("${railyard.kafka.partitions:3}") int partitions, ConnectorRegistry connectors) {
        this.brokers = brokers;
        this.partitions = partitions;
        this.connectors = connectors;
    }

    /** The topics the hub writes and reads. */
    public List<String> names() {
        List<String> names = new ArrayList<>(List.of(Transfers.ACCEPTED_TOPIC, Transfers.EVENTS_TOPIC,
                RailGate.RESULTS_TOPIC, TransferRouter.BATCH_ITEMS_TOPIC, Batches.EVENTS_TOPIC, Refunds.EVENTS_TOPIC,
                ReconciliationEngine.TOPIC, FloatAlerts.TOPIC));
        names.addAll(railTopics().keySet());
        return names;
    }

    /** Each connector's instruction (and refund) topic, with the partitions it needs: one per consumer, at least. */
    public Map<String, Integer> railTopics() {
        Map<String, Integer> topics = new LinkedHashMap<>();
        for (String rail : connectors.all().keySet()) {
            topics.put(TransferRouter.instructionTopic(rail), Math.max(partitions, connectors.consumers(rail)));
            if (connectors.refunds(rail)) {
                topics.put(Refunds.instructionTopic(rail), Math.max(partitions, connectors.refundConsumers(rail)));
            }
        }
        return topics;
    }

    @Override
    public void beforeApplicationStart(CamelContext camel) {
        create(names(), railTopics());
    }

    @Override
    public void afterApplicationStart(CamelContext camel) {
        // nothing: the topics are there before the routes start
    }

    /**
     * Creates those of {@code names} the broker lacks, grows those of {@code atLeast} that have fewer partitions than
     * it names, then waits (up to 15 s) until every partition has a leader. A topic is created with the partitions
     * {@code atLeast} names for it, else {@code railyard.kafka.partitions}.
     */
    void create(Collection<String> names, Map<String, Integer> atLeast) {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, brokers,
                AdminClientConfig.CLIENT_ID_CONFIG, "railyard-topics",
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) WAIT.toMillis(),
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) WAIT.toMillis()))) {
            Set<String> existing = admin.listTopics().names().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            List<NewTopic> missing = names.stream().filter(name -> !existing.contains(name))
                    .map(name -> new NewTopic(name, Optional.of(atLeast.getOrDefault(name, partitions)),
                            Optional.empty())).toList();
            await(admin.createTopics(missing).values(), TopicExistsException.class); // another instance was first
            if (!missing.isEmpty()) {
                log.info("Created Kafka topics {}", missing.stream()
                        .map(topic -> topic.name() + " (" + topic.numPartitions() + " partitions)").toList());
            }
            Map<String, NewPartitions> grown = new LinkedHashMap<>();
            List<String> present = atLeast.keySet().stream().filter(existing::contains).toList();
            admin.describeTopics(present).allTopicNames().get(WAIT.toMillis(), TimeUnit.MILLISECONDS)
                    .forEach((name, topic) -> {
                        if (topic.partitions().size() < atLeast.get(name)) {
                            grown.put(name, NewPartitions.increaseTo(atLeast.get(name)));
                        }
                    });
            // another instance grew it first: fine
            await(admin.createPartitions(grown).values(), InvalidPartitionsException.class);
            if (!grown.isEmpty()) {
                log.info("Grew Kafka topics to one partition per consumer of their rail: {}", grown.entrySet().stream()
                        .map(topic -> topic.getKey() + " (" + topic.getValue().totalCount() + " partitions)").toList());
            }
            awaitLeaders(admin, names);
        } catch (ExecutionException | TimeoutException e) {
            log.warn("Kafka topics {} could not be checked or created ({}); the broker's auto-creation or its "
                    + "operators must provide them", names, e.getCause() == null ? e : e.getCause().toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating the hub's Kafka topics", e);
        }
    }

    /** Waits for each of the broker's answers; {@code harmless} is a refusal that leaves the wanted state. */
    private static void await(Map<String, KafkaFuture<Void>> answers, Class<? extends Exception> harmless)
            throws ExecutionException, InterruptedException, TimeoutException {
        for (KafkaFuture<Void> answer : answers.values()) {
            try {
                answer.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                if (!harmless.isInstance(e.getCause())) {
                    throw e;
                }
            }
        }
    }

    private static void awaitLeaders(Admin admin, Collection<String> names)
            throws ExecutionException, InterruptedException, TimeoutException {
        Instant until = Instant.now().plus(WAIT);
        while (true) {
            Map<String, TopicDescription> topics = admin.describeTopics(names).allTopicNames()
                    .get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            boolean led = topics.values().stream().flatMap(topic -> topic.partitions().stream())
                    .map(TopicPartitionInfo::leader).allMatch(leader -> leader != null && !leader.isEmpty());
            if (led) {
                return;
            }
            if (Instant.now().isAfter(until)) {
                throw new TimeoutException("partitions without a leader after " + WAIT.toSeconds() + " s");
            }
            Thread.sleep(100);
        }
    }
}
