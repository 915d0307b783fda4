package io.railyard.bench;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.railyard.HubTest;
import io.railyard.RoutingPaused;
import io.railyard.connector.RailGate;
import io.railyard.connector.RailOutcome;
import io.railyard.ledger.LedgerInvariants;
import io.railyard.transfer.Transfer;
import io.railyard.transfer.TransferFixtures;
import io.railyard.transfer.TransferValidator;
import io.railyard.transfer.Transfers;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.camel.CamelContext;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.component.kafka.KafkaConstants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * The settlement stage draining a backlog: {@code bench.results} (default 5000) SETTLED results for as many SUBMITTED
 * Pix transfers are put on {@code railyard.settlement.result.v1} while route {@code settlement.result.apply} is
 * stopped; the route is then started and timed until every transfer is SETTLED (transition, settlement posting, return
 * watch, event). A warm-up round of the same size comes first. Prints results applied per second and the hub JVM's
 * CPU per result (the JVM also runs the embedded broker; PostgreSQL's CPU is not counted).
 * Not part of {@code verify}: {@code mvn -B -o -Dtest=SettlementStageBench -Dsurefire.failIfNoSpecifiedTests=false verify}.
 */
@ExtendWith(RoutingPaused.class)
class SettlementStageBench extends HubTest {

    private static final String STAGE = "settlement.result.apply";

    @Autowired
    Transfers transfers;
    @Autowired
    TransferValidator validator;
    @Autowired
    CamelContext camel;
    @Autowired
    ProducerTemplate producer;

    @Test
    void drainsABacklogOfSettledResults() throws Exception {
        int results = Integer.getInteger("bench.results", 5000);
        try {
            round("warm-up", results);
            round("measured", results);
        } finally {
            camel.getRouteController().startRoute(STAGE);
        }
        LedgerInvariants.assertHold(jdbc);
    }

    private void round(String name, int count) throws Exception {
        TestPartner partner = newPartner(count + " BRL");
        List<Transfer> submitted = IntStream.range(0, count).mapToObj(i -> TransferFixtures.submitted(transfers,
                validator, partner.id(), TransferFixtures.pix("1.00"), "pix")).toList();
        camel.getRouteController().stopRoute(STAGE);
        for (Transfer transfer : submitted) {
            producer.sendBodyAndHeader("kafka:" + RailGate.RESULTS_TOPIC, settled(transfer), KafkaConstants.KEY,
                    transfer.id().toString());
        }
        await().atMost(Duration.ofMinutes(5)).until(() -> jdbc.sql(
                "select count(*) from outbox_pending").query(Long.class).single() == 0);
        long cpu = processCpuNanos();
        long start = System.nanoTime();
        camel.getRouteController().startRoute(STAGE);
        await().atMost(Duration.ofMinutes(30)).pollInterval(Duration.ofMillis(20)).until(() -> jdbc.sql(
                "select count(*) from transfers where partner_id = ? and status = 'SETTLED'").param(partner.id())
                .query(Long.class).single() == count);
        double seconds = (System.nanoTime() - start) / 1e9;
        double cpuMs = (processCpuNanos() - cpu) / 1e6;
        System.out.printf("BENCH settlement stage, %s: %,d results applied in %.2f s = %,.0f results/s; hub JVM CPU "
                + "%.2f ms per result; %d CPUs, load average %s%n", name, count, seconds, count / seconds,
                cpuMs / count, Runtime.getRuntime().availableProcessors(),
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    }

    private String settled(Transfer transfer) throws JsonProcessingException {
        return JSON.writeValueAsString(RailGate.resultMessage("pix", transfer.id().toString(), null,
                RailOutcome.SETTLED, "CONCLUIDA", "E" + transfer.id().toString().replace("-", ""), null, null, null));
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }
}
