package io.railyard.batch;

import javax.sql.DataSource;
import org.apache.camel.AggregationStrategy;
import org.apache.camel.processor.aggregate.jdbc.JdbcAggregationRepository;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.transaction.PlatformTransactionManager;

/** The batch completion aggregator's persistent state (tables batch_completion*), so a crash loses no aggregation. */
@Configuration
class BatchConfig {

    @Bean
    JdbcAggregationRepository batchCompletionRepository(PlatformTransactionManager transactions,
            DataSource dataSource) {
        // not PostgresAggregationRepository: in Camel 4.17 its insert binds a version its SQL has no column for, so
        // every new aggregate failed; the generic repository's versioned rows also give optimistic locking across
        // hub instances
        JdbcAggregationRepository repository = new JdbcAggregationRepository(transactions, "batch_completion",
                dataSource);
        repository.setUseRecovery(true);
        return repository;
    }

    /**
     * Completion is decided from the database, so a batch's first event is all the aggregate needs (every event's
     * body is the batch id). Keeping the first exchange keeps the id the repository files the completed aggregate
     * under, and confirms it by, once {@code batches.complete} has run: a newer exchange would leave it to be recovered.
     */
    @Bean
    AggregationStrategy batchFirstEvent() {
        return (first, next) -> first == null ? next : first;
    }
}
