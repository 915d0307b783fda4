package io.railyard.outbox;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.camel.Exchange;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.component.kafka.consumer.KafkaManualCommit;
import org.springframework.stereotype.Component;

/**
 * Commits the offsets of a batch a Kafka consumer in batching mode handed to its route ({@code batching: true},
 * {@code allowManualCommit: true}, {@code autoCommitEnable: false}), once the route has processed it: the last record
 * of each partition in the batch, so exactly what was processed. Camel's own commit in batching mode commits the
 * consumer's position, which can run ahead of the records processed (records it holds for the next batch): lost in a
 * crash.
 */
@Component("polledBatches")
public class PolledBatches {

    public void commit(List<Exchange> records) {
        Map<Integer, KafkaManualCommit> lastPerPartition = new LinkedHashMap<>();
        for (Exchange record : records) {
            lastPerPartition.put(record.getMessage().getHeader(KafkaConstants.PARTITION, Integer.class),
                    record.getMessage().getHeader(KafkaConstants.MANUAL_COMMIT, KafkaManualCommit.class));
        }
        lastPerPartition.values().forEach(KafkaManualCommit::commit);
    }
}
