package io.railyard.ops;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.stereotype.Component;

/** {@code /actuator/health} component {@code kafka}: UP when the bus answers a cluster description within 2 s. */
@Component("kafka")
class KafkaHealthIndicator implements HealthIndicator, DisposableBean {

    private final Admin admin;
    private final String brokers;

    KafkaHealthIndicator(@Value("${camel.component.kafka.brokers}") String brokers) {
        this.brokers = brokers;
        this.admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, brokers,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000, AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 2000,
                AdminClientConfig.CLIENT_ID_CONFIG, "railyard-health"));
    }

    @Override
    public Health health() {
        try {
            DescribeClusterResult cluster = admin.describeCluster(new DescribeClusterOptions().timeoutMs(2000));
            int nodes = cluster.nodes().get(2, TimeUnit.SECONDS).size();
            return Health.up().withDetail("brokers", brokers).withDetail("nodes", nodes)
                    .withDetail("clusterId", cluster.clusterId().get(2, TimeUnit.SECONDS)).build();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Health.down(e).withDetail("brokers", brokers).build();
        } catch (Exception e) {
            return Health.down().withDetail("brokers", brokers).withDetail("error", e.getClass().getSimpleName()).build();
        }
    }

    @Override
    public void destroy() {
        admin.close();
    }
}
