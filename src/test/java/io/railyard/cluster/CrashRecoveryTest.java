package io.railyard.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * kill -9 of the hub while partners are sending transfers and batches, several times, then recovery. Every request
 * whose answer was lost to a crash is sent again with the same Idempotency-Key, as a partner would; then every
 * transfer must settle exactly once (the rails are the witness, see {@link TestCluster}) and the ledger must balance.
 *
 * <p>The CI size: two kills, each 1.5–4.5 s into a phase of load (a third took the whole suite on a slow 2-core
 * machine to within seconds of CI's 30 minutes; the soak kills more). The soak ({@code mvn -Psoak verify}, README
 * "Tests") sets {@code railyard.crash.kills} and {@code railyard.crash.items} (transfers in all, singles plus batch
 * items): each kill then cuts the load at a random point of its share, and the rest is sent after the last one.
 */
class CrashRecoveryTest extends ClusterSuite {

    private static final int CRASHES = Integer.getInteger("railyard.crash.kills", 2);
    private static final int ITEMS = Integer.getInteger("railyard.crash.items", 0);
    /** Time to settle everything after the load: the CI size needs well under 3 minutes; a soak more. */
    private static final Duration SETTLING = Duration.ofMinutes(3).plusSeconds(ITEMS / 20);

    private final PartnerLoad load = new PartnerLoad(ITEMS);

    @Test
    void transfersAndBatchesSurviveRepeatedKillsWithEveryTransferPaidExactlyOnce() throws Exception {
        Random random = new Random(20261125);
        long began = System.nanoTime();
        try (TestCluster cluster = newCluster(); HubProcess hub = cluster.hub()) {
            for (int crash = 0; crash < CRASHES; crash++) {
                hub.start();
                PartnerLoad.Senders senders = load.start(hub);
                BooleanSupplier due = killPoint(crash, random);
                await().atMost(Duration.ofHours(1)).pollInterval(Duration.ofMillis(10)).until(due::getAsBoolean);
                hub.kill();
                senders.stop();
            }
            hub.start();
            if (ITEMS > 0) {
                PartnerLoad.Senders senders = load.start(hub);
                await().atMost(Duration.ofHours(1)).until(() -> load.itemsSent.get() >= ITEMS);
                senders.stop();
            }

            // the partner retries every request whose answer it lost (or that failed while the hub was going down),
            // and a replay of an answered request gives the same answer, even across crashes
            load.retryUnanswered(hub);
            load.assertReplaysMatch(hub, 50);

            assertThat(load.lostAnswers.get()).as("requests cut by the kills (the test must crash mid-work)").isPositive();
            long executed = load.assertEachRequestTookEffectOnce(cluster, SETTLING);
            System.out.printf("Crash recovery: %d kills, %d requests (%d batches), %d answers lost to a kill, %d "
                    + "transfers settled, each executed once by its rail; %d s in all%n", CRASHES, load.sent.size(),
                    load.batches(), load.lostAnswers.get(), executed,
                    Duration.ofNanos(System.nanoTime() - began).toSeconds());
        }
    }

    /** When phase {@code crash} is cut: a moment 1.5–4.5 s into it, or (a soak) a random point of its share of items. */
    private BooleanSupplier killPoint(int crash, Random random) {
        if (ITEMS == 0) {
            long due = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1500 + random.nextInt(3000));
            return () -> System.nanoTime() >= due;
        }
        long share = ITEMS / (CRASHES + 1);
        long due = crash * share + share / 2 + random.nextLong(share / 2 + 1);
        return () -> load.itemsSent.get() >= due;
    }
}
