package io.railyard.settlement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.railyard.HubTest;
import io.railyard.ledger.LedgerInvariants;
import io.railyard.transfer.TransferFixtures;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** A dead rail opens its circuit: transfers wait (QUEUED) instead of failing, and settle once the rail is back. */
class CircuitBreakerTest extends HubTest {

    private static final String BREAKER = "/actuator/hawtio/jolokia/read/org.apache.camel:context=railyard,"
            + "type=processors,name=%22payout.pix.breaker%22/CircuitBreakerState";

    @Test
    void aDeadRailOpensTheCircuitAndTransfersWaitThenSettle() {
        TestPartner partner = newPartner("1000 BRL");
        call("PUT", "/v1/ops/sandbox/pix/faults").asOps().json(Map.of("error_rate", 1.0)).send();
        List<String> ids = new ArrayList<>();
        try {
            for (int i = 0; i < 25; i++) {
                ids.add(call("POST", "/v1/transfers").as(partner).header("Idempotency-Key", UUID.randomUUID().toString())
                        .json(TransferFixtures.pix("1.00")).send().json().get("id").asText());
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> call("GET", BREAKER).asOps().send().body()
                    .contains("\"value\":\"OPEN\""));
            await().atMost(Duration.ofSeconds(30)).until(() -> jdbc.sql("""
                    select count(distinct transfer_id) from transfer_transitions t join transfers x on x.id = t.transfer_id
                    where x.partner_id = ? and t.to_status = 'QUEUED'""").param(partner.id()).query(Long.class)
                    .single() > 0);
            assertThat(jdbc.sql("select count(*) from transfers where partner_id = ? and status = 'FAILED'")
                    .param(partner.id()).query(Long.class).single()).as("no transfer fails for a dead rail").isZero();
        } finally {
            call("DELETE", "/v1/ops/sandbox/pix/faults").asOps().send();
        }
        await().atMost(Duration.ofMinutes(2)).until(() -> jdbc.sql(
                "select count(*) from transfers where partner_id = ? and status = 'SETTLED'")
                .param(partner.id()).query(Long.class).single() == ids.size());
        LedgerInvariants.assertHold(jdbc);
    }
}
