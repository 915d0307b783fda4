package io.railyard.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import io.railyard.HubTest;
import io.railyard.connector.ConnectorRegistry;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.camel.CamelContext;
import org.apache.camel.component.kafka.KafkaEndpoint;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;

/** The hub's topics exist, led, before anything is sent to them: none is left to the broker's auto-creation. */
class HubTopicsTest extends HubTest {

    @Autowired
    HubTopics topics;
    @Autowired
    ConnectorRegistry connectors;
    @Autowired
    CamelContext camel;
    @Value("${camel.component.kafka.brokers}")
    String brokers;
    @Value("${railyard.kafka.partitions:3}")
    int partitions;

    @Test
    void everyEventTopicAndEachConnectorsInstructionAndRefundTopicIsNamed() {
        assertThat(topics.names()).contains("railyard.transfer.accepted.v1", "railyard.transfer.events.v1",
                "railyard.settlement.result.v1", "railyard.settlement-batch.items.v1", "railyard.batch.events.v1",
                "railyard.refund.events.v1", "railyard.reconciliation.discrepancy.v1", "railyard.treasury.events.v1",
                "railyard.rail.pix.instruction.v1", "railyard.rail.spei.instruction.v1",
                "railyard.rail.circle-usdc.instruction.v1", "railyard.rail.base-usdc.instruction.v1",
                "railyard.rail.pix.refund.v1", "railyard.rail.spei.refund.v1", "railyard.rail.circle-usdc.refund.v1",
                "railyard.rail.base-usdc.refund.v1").doesNotHaveDuplicates();
    }

    @Test
    void missingTopicsAreCreatedWithTheirPartitionsEachLedAndOnlyThoseThatNeedMorePartitionsAreGrown() throws Exception {
        String event = "railyard.test-" + UUID.randomUUID();
        String rail = "railyard.test-" + UUID.randomUUID();
        List<String> fresh = List.of(event, rail);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, brokers))) {
            assertThat(admin.listTopics().names().get(10, TimeUnit.SECONDS)).doesNotContainAnyElementsOf(fresh);
            topics.create(fresh, Map.of(rail, 1));
            assertThat(partitions(admin, fresh)).containsExactlyInAnyOrderEntriesOf(Map.of(event, partitions, rail, 1));

            topics.create(fresh, Map.of(rail, partitions + 2)); // the rail's consumers went up: its topic grows
            assertThat(partitions(admin, fresh))
                    .containsExactlyInAnyOrderEntriesOf(Map.of(event, partitions, rail, partitions + 2));
            topics.create(fresh, Map.of(rail, 1)); // never shrunk, nothing refused
            assertThat(partitions(admin, fresh))
                    .containsExactlyInAnyOrderEntriesOf(Map.of(event, partitions, rail, partitions + 2));
            assertThat(admin.describeTopics(topics.names()).allTopicNames().get(10, TimeUnit.SECONDS))
                    .hasSize(topics.names().size());
        }
    }

    @Test
    void eachConnectorsTopicsHaveAPartitionForEveryConsumerOfItsRail() throws Exception {
        assertThat(connectors.consumers("pix")).isGreaterThan(partitions);
        assertThat(connectors.refundConsumers("pix")).as("refunds are few: fewer consumers")
                .isLessThan(connectors.consumers("pix"));
        assertThat(topics.railTopics()).containsEntry("railyard.rail.pix.instruction.v1", connectors.consumers("pix"))
                .containsEntry("railyard.rail.pix.refund.v1", Math.max(partitions, connectors.refundConsumers("pix")));
        for (String rail : List.of("pix", "spei", "circle-usdc", "base-usdc")) {
            assertThat(consumersOf("payout." + rail + ".submit")).isEqualTo(connectors.consumers(rail));
            assertThat(consumersOf("refund." + rail + ".submit")).isEqualTo(connectors.refundConsumers(rail));
        }
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, brokers))) {
            assertThat(partitions(admin, topics.railTopics().keySet())).isEqualTo(topics.railTopics());
        }
    }

    /** The Kafka consumers a route runs. */
    private int consumersOf(String routeId) {
        return ((KafkaEndpoint) camel.getRoute(routeId).getEndpoint()).getConfiguration().getConsumersCount();
    }

    /** Each topic's partitions, every one of them led. */
    private static Map<String, Integer> partitions(Admin admin, Collection<String> names) throws Exception {
        Map<String, TopicDescription> described = admin.describeTopics(names).allTopicNames().get(10, TimeUnit.SECONDS);
        described.values().forEach(topic -> topic.partitions()
                .forEach(partition -> assertThat(partition.leader()).isNotNull()));
        return described.values().stream().collect(Collectors.toMap(TopicDescription::name,
                topic -> topic.partitions().size()));
    }
}
