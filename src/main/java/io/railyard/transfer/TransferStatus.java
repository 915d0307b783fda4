package io.railyard.transfer;

import java.util.EnumSet;
import java.util.Set;

/**
 * A transfer's life: ACCEPTED → ROUTED → (QUEUED) → SUBMITTED → SETTLED | FAILED | RETURNED, or CANCELLED before it
 * reaches a rail. SUBMITTED → ROUTED is a reroute: the rail refused the payout without making it, with a failure code
 * its connector declares reroutable, and the transfer moves to its fallback rail. Every change goes through
 * {@link #canMoveTo}; anything else is refused.
 */
public enum TransferStatus {
    ACCEPTED, ROUTED, QUEUED, SUBMITTED, SETTLED, FAILED, RETURNED, CANCELLED;

    public Set<TransferStatus> next() {
        return switch (this) {
            case ACCEPTED -> EnumSet.of(ROUTED, FAILED, CANCELLED);
            case ROUTED -> EnumSet.of(QUEUED, SUBMITTED, FAILED, CANCELLED);
            case QUEUED -> EnumSet.of(ROUTED, SUBMITTED, FAILED, CANCELLED);
            case SUBMITTED -> EnumSet.of(ROUTED, SETTLED, FAILED, RETURNED);
            case SETTLED -> EnumSet.of(RETURNED);
            case FAILED, RETURNED, CANCELLED -> EnumSet.noneOf(TransferStatus.class);
        };
    }

    public boolean canMoveTo(TransferStatus target) {
        return next().contains(target);
    }

    public boolean isFinal() {
        return this == SETTLED || this == FAILED || this == RETURNED || this == CANCELLED;
    }

    /** Cancellable while no rail has seen it. */
    public boolean isCancellable() {
        return canMoveTo(CANCELLED);
    }
}
