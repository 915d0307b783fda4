package io.railyard.transfer;

import static io.railyard.transfer.TransferStatus.ACCEPTED;
import static io.railyard.transfer.TransferStatus.CANCELLED;
import static io.railyard.transfer.TransferStatus.FAILED;
import static io.railyard.transfer.TransferStatus.QUEUED;
import static io.railyard.transfer.TransferStatus.RETURNED;
import static io.railyard.transfer.TransferStatus.ROUTED;
import static io.railyard.transfer.TransferStatus.SETTLED;
import static io.railyard.transfer.TransferStatus.SUBMITTED;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TransferStatusTest {

    /** The whole machine, written out once more by hand: any change to it must change this test too. */
    private static final Map<TransferStatus, Set<TransferStatus>> ALLOWED = Map.of(
            ACCEPTED, EnumSet.of(ROUTED, FAILED, CANCELLED),
            ROUTED, EnumSet.of(QUEUED, SUBMITTED, FAILED, CANCELLED),
            QUEUED, EnumSet.of(ROUTED, SUBMITTED, FAILED, CANCELLED),
            SUBMITTED, EnumSet.of(ROUTED, SETTLED, FAILED, RETURNED),
            SETTLED, EnumSet.of(RETURNED),
            FAILED, EnumSet.noneOf(TransferStatus.class),
            RETURNED, EnumSet.noneOf(TransferStatus.class),
            CANCELLED, EnumSet.noneOf(TransferStatus.class));

    @Test
    void everyPairIsAllowedOrRefusedExactlyAsSpecified() {
        for (TransferStatus from : TransferStatus.values()) {
            for (TransferStatus to : TransferStatus.values()) {
                assertThat(from.canMoveTo(to)).as(from + " → " + to).isEqualTo(ALLOWED.get(from).contains(to));
            }
        }
    }

    @Test
    void onlyTransfersNoRailHasSeenAreCancellable() {
        assertThat(EnumSet.allOf(TransferStatus.class).stream().filter(TransferStatus::isCancellable))
                .containsExactlyInAnyOrder(ACCEPTED, ROUTED, QUEUED);
    }
}
