package io.railyard.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.railyard.window.TestRailsTable;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.processor.aggregate.jdbc.JdbcAggregationRepository;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;

/**
 * kill -9 of a hub while a batched rail's window is open: circle-usdc batched in one-minute windows (netted), the
 * partner load of {@link CrashRecoveryTest} (all four rails, singles and batches), and the hub killed once transfers
 * sit aggregated in a window that has not completed. The open window is rows in PostgreSQL, not the dead JVM's memory:
 * the restarted hub closes it, and every transfer settles exactly once, each settlement batch executed once by the
 * rail (the rails, the test JVM's shared hub, are the witness, {@link TestCluster}), the ledger balanced.
 */
class BatchedRailCrashTest extends ClusterSuite {

    private static final String RAIL = "circle-usdc";

    private final PartnerLoad load = new PartnerLoad(0);

    @Test
    void aHubKilledWhileItsWindowIsOpenLosesNoTransferAndPaysEachBatchOnce() throws Exception {
        Path table = TestRailsTable.write(Path.of("target", "test-rails-crash-" + ProcessHandle.current().pid()
                + ".yaml"), rails -> ((ObjectNode) rails.get(RAIL)).set("batching", TestCluster.JSON.valueToTree(
                        Map.of("window", "PT1M", "max-items", 500, "netting", true))));
        try (TestCluster cluster = newCluster(); HubProcess hub = cluster.hub(table);
                DefaultCamelContext camel = new DefaultCamelContext()) {
            camel.start();
            hub.start();
            JdbcAggregationRepository windows = repository(cluster.dataSource());

            // the kill must come while the window is open: start with at least 40 s of it left
            await().atMost(Duration.ofSeconds(70)).pollInterval(Duration.ofMillis(200))
                    .until(() -> secondsLeft(Instant.now()) >= 40);
            Instant windowEnd = Instant.now().truncatedTo(ChronoUnit.MINUTES).plus(Duration.ofMinutes(1));
            PartnerLoad.Senders senders = load.start(hub);
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                    .until(() -> aggregated(windows, camel).size() >= 5);
            hub.kill();
            senders.stop();

            assertThat(Instant.now()).as("killed before its window ended").isBefore(windowEnd);
            assertThat(cluster.count("select count(*) from settlement_batches")).as("no window completed").isZero();
            List<String> open = aggregated(windows, camel);
            assertThat(open).as("the open window survived the kill").hasSizeGreaterThanOrEqualTo(5);
            assertThat(windows.getKeys()).allMatch(key -> key.startsWith(RAIL + "|USDC|"));

            hub.start();
            load.retryUnanswered(hub);
            load.assertReplaysMatch(hub, 30);
            long executed = load.assertEachRequestTookEffectOnce(cluster, Duration.ofMinutes(4));

            for (String id : open) {
                assertThat(cluster.count("select count(*) from settlement_batch_items i join settlement_batches b "
                        + "on b.id = i.batch_id where i.transfer_id = '" + id + "' and b.window_end = '"
                        + windowEnd + "'")).as("transfer " + id + " sealed in the window it was aggregated in")
                        .isEqualTo(1);
            }
            assertThat(cluster.count("select count(*) from transfers where rail = 'circle-usdc' and id not in "
                    + "(select transfer_id from settlement_batch_items)")).as("every circle transfer batched")
                    .isZero();
            assertThat(cluster.count("select count(*) from settlement_batch_aggregation")).isZero();
            assertThat(cluster.count("select count(*) from settlement_batch_aggregation_completed")).isZero();
            System.out.printf("Batched rail crash: %d transfers (%d in %d settlement batches), %d answers lost to the "
                    + "kill, %d executions at the rails%n", cluster.count("select count(*) from transfers"),
                    cluster.count("select count(*) from settlement_batch_items"),
                    cluster.count("select count(*) from settlement_batches"), load.lostAnswers.get(), executed);
            windows.stop();
        }
    }

    /** Seconds left in the current one-minute window (slices of the day in UTC, the rail's zone). */
    private static long secondsLeft(Instant now) {
        return Duration.between(now, now.truncatedTo(ChronoUnit.MINUTES).plus(Duration.ofMinutes(1))).toSeconds();
    }

    /** The window aggregator's repository as the hubs keep it (read here, never written). */
    private static JdbcAggregationRepository repository(DataSource dataSource) throws Exception {
        JdbcAggregationRepository repository = new JdbcAggregationRepository(
                new DataSourceTransactionManager(dataSource), "settlement_batch_aggregation", dataSource);
        repository.start();
        return repository;
    }

    /** The transfer ids in the open window groups. */
    private static List<String> aggregated(JdbcAggregationRepository repository, DefaultCamelContext camel) {
        List<String> ids = new ArrayList<>();
        for (String key : repository.getKeys()) {
            Exchange group = repository.get(camel, key);
            if (group != null) {
                for (Object id : group.getIn().getBody(List.class)) {
                    ids.add(id.toString());
                }
            }
        }
        return ids;
    }
}
