package io.railyard.refund;

import java.util.EnumSet;
import java.util.Set;

/**
 * A refund's life: PENDING (asked, amount reserved) → SUBMITTED (sent to the rail) → SUCCEEDED (money back with the
 * partner) | FAILED (the rail refused; the amount is refundable again). A rail-initiated return is recorded directly as
 * SUCCEEDED. Every change goes through {@link #canMoveTo}.
 */
public enum RefundStatus {
    PENDING, SUBMITTED, SUCCEEDED, FAILED;

    public Set<RefundStatus> next() {
        return switch (this) {
            case PENDING -> EnumSet.of(SUBMITTED, FAILED);
            case SUBMITTED -> EnumSet.of(SUCCEEDED, FAILED);
            case SUCCEEDED, FAILED -> EnumSet.noneOf(RefundStatus.class);
        };
    }

    public boolean canMoveTo(RefundStatus target) {
        return next().contains(target);
    }

    public boolean isFinal() {
        return next().isEmpty();
    }
}
