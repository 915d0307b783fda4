package io.railyard.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.railyard.RailyardApplication;
import io.railyard.TestPorts;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.Environment;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * The hub as a newcomer starts it (profile {@code local}): embedded PostgreSQL and Kafka keep their data in the data
 * directory across a restart; and as production starts it: given external servers, it starts nothing embedded.
 */
class EmbeddedDefaultTest {

    @TempDir
    Path dataDir;

    @Test
    void theLocalHubKeepsLedgerAndBusAcrossARestart() throws Exception {
        String topic = "restart-probe";
        String marker = UUID.randomUUID().toString();
        try (ConfigurableApplicationContext hub = start("--railyard.local.data-dir=" + dataDir)) {
            assertThat(mode(hub, "kafka")).isEqualTo("embedded (data in " + dataDir.resolve("kafka") + ")");
            assertThat(mode(hub, "db")).contains(dataDir.resolve("postgres").toString());
            jdbc(hub).sql("insert into partners (id, name) values (?, ?)").params(UUID.randomUUID(), marker).update();
            produce(brokers(hub), topic, marker);
        }
        try (ConfigurableApplicationContext hub = start("--railyard.local.data-dir=" + dataDir)) {
            assertThat(jdbc(hub).sql("select count(*) from partners where name = ?").param(marker).query(Long.class)
                    .single()).isEqualTo(1);
            assertThat(consumeAll(brokers(hub), topic)).contains(marker);
        }
    }

    @Test
    void givenExternalServersTheHubStartsNothingEmbedded() throws Exception {
        try (TestBroker kafka = TestBroker.start(); EmbeddedPostgres postgres = EmbeddedPostgres.builder().start()) {
            String url = postgres.getJdbcUrl("postgres", "postgres");
            try (ConfigurableApplicationContext hub = start("--railyard.db.url=" + url,
                    "--railyard.db.username=postgres", "--railyard.kafka.brokers=" + kafka.brokers())) {
                assertThat(mode(hub, "db")).isEqualTo("external");
                assertThat(mode(hub, "kafka")).isEqualTo("external");
                assertThat(hub.containsBean("embeddedPostgres")).isFalse();
                assertThat(hub.containsBean("embeddedKafka")).isFalse();
                // the hub migrated and seeded the given database, and its bus is the given broker
                assertThat(JdbcClient.create(postgres.getPostgresDatabase())
                        .sql("select count(*) from partners").query(Long.class).single()).isPositive();
                assertThat(brokers(hub)).isEqualTo(kafka.brokers());
            }
        }
    }

    private static ConfigurableApplicationContext start(String... args) {
        List<String> all = new ArrayList<>(List.of("--spring.profiles.active=local", "--server.port=" + TestPorts.free()));
        all.addAll(List.of(args));
        return new SpringApplicationBuilder(RailyardApplication.class)
                .run(all.toArray(String[]::new));
    }

    private static String mode(ConfigurableApplicationContext hub, String server) {
        return hub.getEnvironment().getProperty("railyard." + server + ".mode");
    }

    private static String brokers(ConfigurableApplicationContext hub) {
        Environment env = hub.getEnvironment();
        return env.getProperty("camel.component.kafka.brokers");
    }

    private static JdbcClient jdbc(ConfigurableApplicationContext hub) {
        return hub.getBean(JdbcClient.class);
    }

    private static void produce(String brokers, String topic, String value) throws Exception {
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers, ProducerConfig.ACKS_CONFIG, "all"),
                new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>(topic, value)).get();
        }
    }

    private static List<String> consumeAll(String brokers, String topic) {
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers), new StringDeserializer(), new StringDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(info -> new TopicPartition(topic, info.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            List<String> values = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (values.isEmpty() && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
                    values.add(record.value());
                }
            }
            return values;
        }
    }
}
