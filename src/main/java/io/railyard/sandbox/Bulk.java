package io.railyard.sandbox;

import java.time.Instant;
import java.util.List;

/**
 * One executed bulk request of a rail: many payouts (lines) in one call, each with its own key and fate, the whole
 * executed once per bulk key.
 */
record Bulk<D>(String key, String id, List<Payout<D>> payouts, Instant createdAt) {

    /** A line as asked: its own idempotency key, what it pays, and how much. */
    record Line<D>(String key, D detail, java.math.BigDecimal amount) {
    }

    /** Pending while any line is. */
    boolean pending(Instant now) {
        return payouts.stream().anyMatch(p -> p.phase(now) == Payout.Phase.PENDING);
    }
}
