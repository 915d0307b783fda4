package io.railyard.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.railyard.HubTest;
import io.railyard.ledger.LedgerInvariants;
import io.railyard.transfer.TransferFixtures;
import java.time.Duration;
import org.apache.camel.CamelContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * The routing sweep's safety net: transfers left ACCEPTED (their event not acted on) are routed, and a transfer left
 * ROUTED (its instruction not acted on) is instructed again, and paid once.
 */
class RoutingSweepTest extends HubTest {

    @Autowired
    TransferRouter router;
    @Autowired
    CamelContext camel;

    @BeforeEach
    void holdTheSweepTimer() throws Exception {
        camel.getRouteController().stopRoute("routing.transfer.sweep"); // this test sweeps when it means to
    }

    @AfterEach
    void releaseTheSweepTimer() throws Exception {
        camel.getRouteController().startRoute("routing.transfer.decide");
        camel.getRouteController().startRoute("payout.spei.submit");
        camel.getRouteController().startRoute("routing.transfer.sweep");
    }

    @Test
    void aTransferLeftRoutedIsInstructedAgainAndPaidOnce() throws Exception {
        TestPartner partner = newPartner("100 MXN");
        camel.getRouteController().stopRoute("payout.spei.submit"); // SPEI's connector takes no instruction
        String id = createTransfer(partner, TransferFixtures.spei("7.00"));
        await().atMost(Duration.ofSeconds(30)).until(() -> status(id).equals("ROUTED") && routedEvents(id) == 1);
        jdbc.sql("update transfers set updated_at = updated_at - interval '1 hour' where id = ?::uuid").param(id)
                .update();

        router.sweep();

        assertThat(routedEvents(id)).as("instructed again").isEqualTo(2);
        assertThat(jdbc.sql("select updated_at > clock_timestamp() - interval '1 minute' from transfers where id = ?::uuid")
                .param(id).query(Boolean.class).single()).as("not instructed again at the next sweep").isTrue();
        camel.getRouteController().startRoute("payout.spei.submit");
        await().atMost(Duration.ofMinutes(1)).until(() -> status(id).equals("SETTLED"));
        assertThat(jdbc.sql("select count(*) from transfer_transitions where transfer_id = ?::uuid and to_status = 'SUBMITTED'")
                .param(id).query(Long.class).single()).as("submitted once for two instructions").isEqualTo(1);
        LedgerInvariants.assertHold(jdbc);
    }

    @Test
    void transfersLeftAcceptedAreRoutedTogetherOnceEach() throws Exception {
        TestPartner partner = newPartner("100 BRL", "100 MXN");
        camel.getRouteController().stopRoute("routing.transfer.decide"); // their accepted events are not acted on
        String pix = createTransfer(partner, TransferFixtures.pix("3.00"));
        String spei = createTransfer(partner, TransferFixtures.spei("4.00"));
        String fresh = createTransfer(partner, TransferFixtures.pix("5.00"));
        jdbc.sql("update transfers set created_at = created_at - interval '1 hour' where id in (?::uuid, ?::uuid)")
                .params(pix, spei).update();

        router.sweep();
        router.sweep();

        assertThat(status(fresh)).as("not stale yet").isEqualTo("ACCEPTED");
        for (String id : new String[] {pix, spei}) {
            assertThat(status(id)).isNotEqualTo("ACCEPTED");
            assertThat(routedEvents(id)).as("routed once").isEqualTo(1);
        }
        await().atMost(Duration.ofMinutes(1)).until(() -> status(pix).equals("SETTLED") && status(spei).equals("SETTLED"));
        LedgerInvariants.assertHold(jdbc);
    }

    private String status(String id) {
        return jdbc.sql("select status from transfers where id = ?::uuid").param(id).query(String.class).single();
    }

    private long routedEvents(String id) {
        return jdbc.sql("select count(*) from outbox_events where event_key = ? and event_type = 'transfer.routed'")
                .param(id).query(Long.class).single();
    }
}
