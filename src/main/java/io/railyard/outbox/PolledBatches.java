package io.railyard.outbox;

import io.railyard.ledger.EntryRequest;
import io.railyard.ledger.Ledger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.camel.Exchange;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.component.kafka.consumer.KafkaManualCommit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * What a stage consuming Kafka in batching mode ({@code batching: true}, {@code allowManualCommit: true},
 * {@code autoCommitEnable: false}) does with a poll: applies its records in one transaction where it can
 * ({@link #apply}), then commits their offsets ({@link #commit}).
 */
@Component("polledBatches")
public class PolledBatches {

    private static final Logger log = LoggerFactory.getLogger(PolledBatches.class);

    private final TransactionTemplate transactions;
    private final Ledger ledger;

    public PolledBatches(PlatformTransactionManager transactions, Ledger ledger) {
        this.transactions = new TransactionTemplate(transactions);
        this.ledger = ledger;
    }

    /**
     * Applies {@code items} together in one transaction, their ledger postings made at its end at once
     * ({@link Ledger#postAll}): the accounts are locked last, once and in one order, however many items there are. If
     * that fails, each is applied in a transaction of its own, so one that cannot be applied holds back no other; one
     * that fails alone is logged and skipped, as a consumer skips a record it failed on (each stage's sweep takes up
     * what was skipped, from the database).
     *
     * @param applierOf given the items of one transaction (all of them, or one when applied one at a time), what
     *                  applies each of them, posting its ledger entries through the consumer it is given; it may read
     *                  or lock what they all need first, in that transaction
     */
    public <T> void apply(List<T> items, Function<List<T>, BiConsumer<T, Consumer<EntryRequest>>> applierOf,
            Function<T, String> name) {
        if (items.size() > 1) {
            try {
                transactions.executeWithoutResult(status -> {
                    List<EntryRequest> postings = new ArrayList<>();
                    BiConsumer<T, Consumer<EntryRequest>> apply = applierOf.apply(items);
                    items.forEach(item -> apply.accept(item, postings::add));
                    if (!postings.isEmpty()) {
                        ledger.postAll(postings);
                    }
                });
                return;
            } catch (RuntimeException e) {
                log.warn("{} records failed together ({}): applied one at a time", items.size(), e.toString());
            }
        }
        for (T item : items) {
            try {
                transactions.executeWithoutResult(status ->
                        applierOf.apply(List.of(item)).accept(item, ledger::post));
            } catch (RuntimeException e) {
                log.error("{} could not be applied and was skipped; its sweep takes it up", name.apply(item), e);
            }
        }
    }

    /**
     * Commits the offsets of a poll the route has processed: the last record of each partition in it, so exactly what
     * was processed. Camel's own commit in batching mode commits the consumer's position, which can run ahead of the
     * records processed (records it holds for its next batch): those would be lost in a crash.
     */
    public void commit(List<Exchange> records) {
        Map<Integer, KafkaManualCommit> lastPerPartition = new LinkedHashMap<>();
        for (Exchange record : records) {
            lastPerPartition.put(record.getMessage().getHeader(KafkaConstants.PARTITION, Integer.class),
                    record.getMessage().getHeader(KafkaConstants.MANUAL_COMMIT, KafkaManualCommit.class));
        }
        lastPerPartition.values().forEach(KafkaManualCommit::commit);
    }
}
