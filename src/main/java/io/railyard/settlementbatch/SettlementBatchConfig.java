package io.railyard.settlementbatch;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import javax.sql.DataSource;
import org.apache.camel.AggregationStrategy;
import org.apache.camel.Exchange;
import org.apache.camel.processor.aggregate.jdbc.JdbcAggregationRepository;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.transaction.PlatformTransactionManager;

/** The window aggregator's persistent state (tables settlement_batch_aggregation*) and how it collects instructions. */
@Configuration
class SettlementBatchConfig {

    /**
     * Open windows live in PostgreSQL, so a crash loses no instruction; a completed window stays in the completed table
     * until its batch was handed to the rail, and recovery re-sends it otherwise (the rail executes a batch id once).
     * Not PostgresAggregationRepository: its Camel 4.17 insert binds a version its SQL has no column for. The versioned
     * rows give optimistic locking between hub instances.
     */
    @Bean
    JdbcAggregationRepository settlementBatchRepository(PlatformTransactionManager transactions,
            DataSource dataSource, @Value("${railyard.settlement-batches.recovery-interval-ms:5000}") long recovery) {
        JdbcAggregationRepository repository = new JdbcAggregationRepository(transactions,
                "settlement_batch_aggregation", dataSource);
        repository.setUseRecovery(true);
        repository.setRecoveryInterval(recovery);
        return repository;
    }

    /**
     * A window's group: the distinct transfer ids in arrival order (an ArrayList: what the repository serialises), and
     * whether the window tick closed it ({@link SettlementBatcher#CLOSED}). An incoming message carries a poll's ids of
     * the group (a list); the tick's carries none.
     */
    @Bean
    AggregationStrategy settlementBatchItems() {
        return (group, incoming) -> {
            Exchange result = group == null ? incoming : group;
            Set<String> ids = new LinkedHashSet<>();
            if (group != null) {
                group.getIn().getBody(List.class).forEach(id -> ids.add((String) id));
            }
            if (incoming.getIn().getBody() instanceof Collection<?> polled) {
                polled.stream().map(String.class::cast).filter(id -> !id.isBlank()).forEach(ids::add);
            }
            if (incoming.getIn().getHeader(SettlementBatcher.CLOSED, false, Boolean.class)) {
                result.getIn().setHeader(SettlementBatcher.CLOSED, true);
            }
            result.getIn().setBody(new ArrayList<>(ids));
            return result;
        };
    }
}
