package io.railyard.sandbox;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;

/**
 * One executed payout of a rail, with its fate decided at creation. Its status is derived from the clock on every read
 * (no timers): pending until {@code createdAt + settleAfter}, then final; a returned payout reads settled first and
 * returned from {@code settledAt + returnAfter}.
 *
 * @param detail what the rail was asked to do, in the rail's own terms; a repeated key must carry an equal detail
 * @param drift added to the amount on statements only (a reconciliation fault)
 * @param statementCopies how many times statements list it (2 = a duplicated confirmation)
 * @param failReason the rail's failure code when it fails, null for the rail's default
 * @param returnedPart what a partial return gives back, null when a return takes the whole payout
 */
record Payout<D>(String key, String id, D detail, BigDecimal amount, Instant createdAt, Outcome outcome,
        Duration settleAfter, Duration returnAfter, BigDecimal drift, int statementCopies, String failReason,
        BigDecimal returnedPart) {

    enum Outcome { SETTLE, FAIL, RETURN }

    /** The rail-neutral status each rail renders in its own words. */
    enum Phase { PENDING, SETTLED, FAILED, RETURNED }

    Phase phase(Instant now) {
        if (now.isBefore(settledAt())) {
            return Phase.PENDING;
        }
        return switch (outcome) {
            case SETTLE -> Phase.SETTLED;
            case FAIL -> Phase.FAILED;
            case RETURN -> now.isBefore(returnedAt()) ? Phase.SETTLED : Phase.RETURNED;
        };
    }

    Instant settledAt() {
        return createdAt.plus(settleAfter);
    }

    Instant returnedAt() {
        return settledAt().plus(returnAfter);
    }

    /** When the payout last changed status, as of {@code phase}. */
    Instant changedAt(Phase phase) {
        return switch (phase) {
            case PENDING -> createdAt;
            case SETTLED, FAILED -> settledAt();
            case RETURNED -> returnedAt();
        };
    }

    BigDecimal statementAmount() {
        return amount.add(drift);
    }
}
