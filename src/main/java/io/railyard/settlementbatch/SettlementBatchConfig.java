package io.railyard.settlementbatch;

import java.util.ArrayList;
import java.util.List;
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
     * whether the window tick closed it ({@link SettlementBatcher#CLOSED}). The tick itself carries no transfer.
     */
    @Bean
    AggregationStrategy settlementBatchItems() {
        return (group, incoming) -> {
            Exchange result = group == null ? incoming : group;
            @SuppressWarnings("unchecked")
            List<String> ids = group == null ? new ArrayList<>() : new ArrayList<>(group.getIn().getBody(List.class));
            String id = incoming.getIn().getBody(String.class);
            if (id != null && !id.isBlank() && !ids.contains(id)) {
                ids.add(id);
            }
            if (incoming.getIn().getHeader(SettlementBatcher.CLOSED, false, Boolean.class)) {
                result.getIn().setHeader(SettlementBatcher.CLOSED, true);
            }
            result.getIn().setBody(ids);
            return result;
        };
    }
}
