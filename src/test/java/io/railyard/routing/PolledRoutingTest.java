package io.railyard.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.railyard.HubTest;
import io.railyard.RoutingPaused;
import io.railyard.ledger.LedgerInvariants;
import io.railyard.transfer.TransferFixtures;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.camel.CamelContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;

/** The routing stage fed a poll of {@code transfer.accepted} events directly (its consumer and sweep paused). */
@ExtendWith(RoutingPaused.class)
class PolledRoutingTest extends HubTest {

    @Autowired
    TransferRouter router;
    @Autowired
    CamelContext camel;

    @Test
    void aPollsTransfersAreRoutedOnceEachToTheirRails() throws Exception {
        TestPartner partner = newPartner("100 BRL", "100 MXN");
        String pix = createTransfer(partner, TransferFixtures.pix("10.00"));
        String spei = createTransfer(partner, TransferFixtures.spei("10.00"));
        String again = createTransfer(partner, TransferFixtures.pix("5.00"));

        router.onAcceptedPolled(records(camel, accepted(pix), "not json", accepted(spei), accepted(pix), accepted(again),
                "{\"data\":{\"id\":\"not-a-transfer-id\"}}"));

        assertThat(rails(pix, spei, again)).containsExactly("pix", "spei", "pix");
        for (String id : List.of(pix, spei, again)) {
            assertThat(jdbc.sql("select count(*) from transfer_transitions where transfer_id = ?::uuid "
                    + "and to_status = 'ROUTED'").param(id).query(Long.class).single()).as(id).isEqualTo(1);
        }
        assertThat(jdbc.sql("select count(distinct xmin::text) from transfer_transitions where transfer_id in "
                + "(?::uuid, ?::uuid, ?::uuid) and to_status = 'ROUTED'").params(pix, spei, again).query(Long.class)
                .single()).as("routed in one transaction, the event relayed twice asking once").isEqualTo(1);
        LedgerInvariants.assertHold(jdbc);
    }

    @Test
    void aPollRoutesEachTransferByItsOwnRailsWindow() throws Exception {
        TestPartner partner = newPartner("100 BRL", "100 USDC");
        closePix("closed for this test");
        try {
            String pix = createTransfer(partner, TransferFixtures.pix("10.00"));
            String usdc = createTransfer(partner, TransferFixtures.circle("10.00"));
            String pixAgain = createTransfer(partner, TransferFixtures.pix("5.00"));

            router.onAcceptedPolled(records(camel, accepted(pix), accepted(usdc), accepted(pixAgain)));

            assertThat(reachedQueued(pix, usdc, pixAgain)).as("Pix closed by ops, Circle open all day")
                    .containsExactly(true, false, true);
        } finally {
            closePix(null);
        }
        LedgerInvariants.assertHold(jdbc);
    }

    /** Closes Pix's window as ops do (a reason), or clears it (null). */
    private void closePix(String reason) {
        Reply reply = call("POST", "/v1/ops/settlement-windows/pix/override").asOps().json(reason == null
                ? Map.of("state", "CLEARED", "reason", "test over") : Map.of("state", "CLOSED", "reason", reason))
                .send();
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
    }

    private List<Boolean> reachedQueued(String... ids) {
        return Stream.of(ids).map(id -> jdbc.sql("select count(*) > 0 from transfer_transitions "
                + "where transfer_id = ?::uuid and to_status = 'QUEUED'").param(id).query(Boolean.class).single())
                .toList();
    }

    private List<String> rails(String... ids) {
        return Stream.of(ids).map(id -> jdbc.sql("select rail from transfers where id = ?::uuid").param(id)
                .query(String.class).single()).toList();
    }

    private static String accepted(String id) throws Exception {
        return JSON.writeValueAsString(Map.of("type", "transfer.accepted", "data", Map.of("id", id)));
    }

}
