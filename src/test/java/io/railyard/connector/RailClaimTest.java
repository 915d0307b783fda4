package io.railyard.connector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.railyard.HubTest;
import io.railyard.RoutingPaused;
import io.railyard.transfer.IllegalTransitionException;
import io.railyard.transfer.Transfer;
import io.railyard.transfer.TransferFixtures;
import io.railyard.transfer.TransferStatus;
import io.railyard.transfer.TransferValidator;
import io.railyard.transfer.Transfers;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * A connector's claim of an instruction, fed directly: only a transfer ROUTED to the connector's rail is submitted,
 * once; a recheck reads one already submitted without moving it; anything else is left as it is.
 */
@ExtendWith(RoutingPaused.class)
class RailClaimTest extends HubTest {

    @Autowired
    RailGate railGate;
    @Autowired
    Transfers transfers;
    @Autowired
    TransferValidator validator;
    @Autowired
    CamelContext camel;

    @Test
    void aTransferRoutedToTheRailIsSubmittedOnceAndOnlyByThatRail() throws Exception {
        TestPartner partner = newPartner("100 BRL");
        Transfer routed = TransferFixtures.routed(transfers, validator, partner.id(), TransferFixtures.pix("10.00"),
                "pix");

        assertThat(claim("spei", routed.id(), false).getProperty("railyardClaimed", Boolean.class))
                .as("another rail's connector").isFalse();
        assertThat(transfers.require(routed.id()).status()).isEqualTo(TransferStatus.ROUTED);

        Exchange claimed = claim("pix", routed.id(), false);
        assertThat(claimed.getProperty("railyardClaimed", Boolean.class)).isTrue();
        assertThat(claimed.getProperty("railyardAmount")).isEqualTo("10.00");
        assertThat(claimed.getProperty("railyardWatching", Boolean.class)).isFalse();
        assertThat(transfers.require(routed.id()).status()).isEqualTo(TransferStatus.SUBMITTED);
        assertThat(jdbc.sql("select next_attempt_at > now() from transfers where id = ?").param(routed.id())
                .query(Boolean.class).single()).as("the recheck is set").isTrue();

        assertThat(claim("pix", routed.id(), false).getProperty("railyardClaimed", Boolean.class))
                .as("the instruction delivered twice").isFalse();
        Exchange recheck = claim("pix", routed.id(), true);
        assertThat(recheck.getProperty("railyardClaimed", Boolean.class)).as("asked again").isTrue();
        assertThat(recheck.getProperty("railyardTransferId")).isEqualTo(routed.id().toString());
        assertThat(claim("spei", routed.id(), true).getProperty("railyardClaimed", Boolean.class))
                .as("asked again by another rail").isFalse();
        assertThat(submissions(routed.id())).isEqualTo(1);
    }

    @Test
    void aTransferNotRoutedOrGoneIsLeftAsItIs() throws Exception {
        TestPartner partner = newPartner("100 BRL");
        String accepted = createTransfer(partner, TransferFixtures.pix("10.00")); // the router is paused: ACCEPTED
        String cancelled = createTransfer(partner, TransferFixtures.pix("10.00"));
        call("POST", "/v1/transfers/" + cancelled + "/cancel").as(partner).send();

        for (String id : new String[] {accepted, cancelled}) {
            assertThat(claim("pix", UUID.fromString(id), false).getProperty("railyardClaimed", Boolean.class)).isFalse();
            assertThat(claim("pix", UUID.fromString(id), true).getProperty("railyardClaimed", Boolean.class)).isFalse();
            assertThat(submissions(UUID.fromString(id))).isZero();
        }
        assertThat(transfers.require(UUID.fromString(accepted)).status()).isEqualTo(TransferStatus.ACCEPTED);
        assertThat(transfers.require(UUID.fromString(cancelled)).status()).isEqualTo(TransferStatus.CANCELLED);
        assertThat(claim("pix", UUID.randomUUID(), false).getProperty("railyardClaimed", Boolean.class))
                .as("an unknown transfer").isFalse();
    }

    /** A settlement batch's transfers are submitted in one statement: all of them, each with its reason, or none. */
    @Test
    void transfersSubmittedTogetherMoveAllOrNone() {
        TestPartner partner = newPartner("100 BRL");
        UUID first = TransferFixtures.routed(transfers, validator, partner.id(), TransferFixtures.pix("10.00"), "pix")
                .id();
        UUID second = TransferFixtures.routed(transfers, validator, partner.id(), TransferFixtures.pix("20.00"), "pix")
                .id();
        UUID accepted = UUID.fromString(createTransfer(partner, TransferFixtures.pix("30.00")));

        Map<UUID, String> withAnAccepted = new LinkedHashMap<>();
        withAnAccepted.put(first, "in batch a");
        withAnAccepted.put(accepted, "in batch a");
        assertThatThrownBy(() -> transfers.transitionAll(withAnAccepted, TransferStatus.SUBMITTED))
                .isInstanceOf(IllegalTransitionException.class).hasMessageContaining(accepted.toString());
        assertThat(transfers.require(first).status()).as("none moved").isEqualTo(TransferStatus.ROUTED);

        Map<UUID, String> routed = new LinkedHashMap<>();
        routed.put(second, "in batch b, line 1");
        routed.put(first, "in batch b, line 2");
        transfers.transitionAll(routed, TransferStatus.SUBMITTED);
        routed.forEach((id, reason) -> {
            assertThat(transfers.require(id).status()).isEqualTo(TransferStatus.SUBMITTED);
            assertThat(transfers.transitions(id)).last().satisfies(last -> {
                assertThat(last.get("from")).isEqualTo("ROUTED");
                assertThat(last.get("reason")).isEqualTo(reason);
            });
            assertThat(submissions(id)).isEqualTo(1);
            assertThat(jdbc.sql("select count(*) from outbox_events where event_key = ? and event_type = "
                    + "'transfer.submitted'").param(id.toString()).query(Long.class).single()).isEqualTo(1);
        });
    }

    private Exchange claim(String rail, UUID transferId, boolean recheck) throws Exception {
        Exchange exchange = new DefaultExchange(camel);
        exchange.setProperty("railyardRail", rail);
        exchange.getIn().setBody(JSON.writeValueAsString(Map.of("data", Map.of("id", transferId.toString()))));
        if (recheck) {
            exchange.getIn().setHeader(RailGate.RECHECK_HEADER, "1");
        }
        railGate.claim(exchange);
        return exchange;
    }

    private long submissions(UUID transferId) {
        return jdbc.sql("select count(*) from transfer_transitions where transfer_id = ? and to_status = 'SUBMITTED'")
                .param(transferId).query(Long.class).single();
    }
}
