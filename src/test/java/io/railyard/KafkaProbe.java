package io.railyard;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Reads a topic from the beginning with a fresh consumer group: what the bus really carried. */
public final class KafkaProbe {

    private KafkaProbe() {
    }

    /** Records of {@code topic} matching {@code filter}, polling until {@code expected} arrived (and a little longer). */
    public static List<ConsumerRecord<String, String>> read(String brokers, String topic, int expected,
            Predicate<ConsumerRecord<String, String>> filter) {
        return read(brokers, topic, expected, filter, Duration.ofSeconds(30));
    }

    /** The same, polling for at most {@code wait}: to show that no more than some records came. */
    public static List<ConsumerRecord<String, String>> read(String brokers, String topic, int expected,
            Predicate<ConsumerRecord<String, String>> filter, Duration wait) {
        List<ConsumerRecord<String, String>> records = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers,
                ConsumerConfig.GROUP_ID_CONFIG, "probe-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.currentTimeMillis() + wait.toMillis();
            while (records.size() < expected && System.currentTimeMillis() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> {
                    if (filter.test(r)) {
                        records.add(r);
                    }
                });
            }
            consumer.poll(Duration.ofMillis(300)).forEach(r -> {
                if (filter.test(r)) {
                    records.add(r);
                }
            });
        }
        return records;
    }

    public static List<ConsumerRecord<String, String>> read(String brokers, String topic, int expected) {
        return read(brokers, topic, expected, r -> true);
    }
}
