package io.railyard.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import io.railyard.HubTest;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
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
    void missingTopicsAreCreatedWithTheConfiguredPartitionsEachLedAndExistingOnesAreLeftAsTheyAre() throws Exception {
        List<String> fresh = List.of("railyard.test-" + UUID.randomUUID(), "railyard.test-" + UUID.randomUUID());
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, brokers))) {
            assertThat(admin.listTopics().names().get(10, TimeUnit.SECONDS)).doesNotContainAnyElementsOf(fresh);
            topics.create(fresh);
            Map<String, TopicDescription> created = admin.describeTopics(fresh).allTopicNames().get(10, TimeUnit.SECONDS);
            assertThat(created).hasSize(2);
            created.values().forEach(topic -> {
                assertThat(topic.partitions()).hasSize(partitions);
                topic.partitions().forEach(partition -> assertThat(partition.leader()).isNotNull());
            });
            topics.create(fresh); // again: nothing to do, nothing refused
            assertThat(admin.describeTopics(topics.names()).allTopicNames().get(10, TimeUnit.SECONDS))
                    .hasSize(topics.names().size());
        }
    }
}
