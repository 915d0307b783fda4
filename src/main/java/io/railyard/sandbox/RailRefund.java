package io.railyard.sandbox;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;

/**
 * A refund of a settled payout, asked by the payer (Pix devolução, a reverse SPEI order, a Circle return, a template
 * refund), with its fate decided at creation like a payout's: pending until {@code createdAt + settleAfter}, then
 * refunded, or failed when {@code fails}.
 *
 * @param key the payer's idempotency key for the refund (one execution per key)
 * @param id the rail's own reference of the refund
 */
record RailRefund<D>(String key, String id, Payout<D> payout, BigDecimal amount, Instant createdAt, boolean fails,
        Duration settleAfter) {

    /** PENDING, SETTLED (refunded) or FAILED. */
    Payout.Phase phase(Instant now) {
        if (now.isBefore(settledAt())) {
            return Payout.Phase.PENDING;
        }
        return fails ? Payout.Phase.FAILED : Payout.Phase.SETTLED;
    }

    Instant settledAt() {
        return createdAt.plus(settleAfter);
    }
}
