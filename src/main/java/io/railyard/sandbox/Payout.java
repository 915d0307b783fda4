package io.railyard.sandbox;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * One executed payout of a rail, with its fate decided at creation. Its status is derived from the clock on every read
 * (no timers): pending until {@code createdAt + settleAfter}, then final; a returned payout reads settled first and
 * returned from {@code settledAt + returnAfter}. A partial return ({@code returnedPart}) gives back only that part;
 * the rest may follow {@code restReturnAfter} later, and then the payout is returned whole.
 *
 * @param detail what the rail was asked to do, in the rail's own terms; a repeated key must carry an equal detail
 * @param drift added to the amount on statements only (a reconciliation fault)
 * @param statementCopies how many times statements list it (2 = a duplicated confirmation)
 * @param failReason the rail's failure code when it fails, null for the rail's default
 * @param returnedPart what a partial return gives back, null when a return takes the whole payout
 * @param restReturnAfter for a partial return, when the rest of the payout comes back too (after the part); null when
 *     it never does
 */
record Payout<D>(String key, String id, D detail, BigDecimal amount, Instant createdAt, Outcome outcome,
        Duration settleAfter, Duration returnAfter, BigDecimal drift, int statementCopies, String failReason,
        BigDecimal returnedPart, Duration restReturnAfter) {

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

    /** When the rest of a partly returned payout comes back, null when it never does. */
    Instant restReturnedAt() {
        return returnedPart == null || restReturnAfter == null ? null : returnedAt().plus(restReturnAfter);
    }

    /** A return the rail made: what came back of the payout, and when. */
    record Returned(BigDecimal amount, Instant at) {
    }

    /** The returns made by {@code now}, oldest first: none, the whole payout, or its part (then the rest, if due). */
    List<Returned> returnsBy(Instant now) {
        if (phase(now) != Phase.RETURNED) {
            return List.of();
        }
        if (returnedPart == null) {
            return List.of(new Returned(amount, returnedAt()));
        }
        Returned part = new Returned(returnedPart, returnedAt());
        Instant rest = restReturnedAt();
        return rest == null || now.isBefore(rest) ? List.of(part)
                : List.of(part, new Returned(amount.subtract(returnedPart), rest));
    }

    /** What the rail has given back of the payout by {@code now}: zero, the part of a partial return, or all of it. */
    BigDecimal returnedBy(Instant now) {
        return returnsBy(now).stream().map(Returned::amount).reduce(BigDecimal.ZERO, BigDecimal::add);
    }

    /** Returned in part by {@code now}: the payout stands, less what came back. */
    boolean partlyReturned(Instant now) {
        BigDecimal returned = returnedBy(now);
        return returned.signum() > 0 && returned.compareTo(amount) < 0;
    }

    /** When the payout last changed status, as of {@code phase}. */
    Instant changedAt(Phase phase) {
        return switch (phase) {
            case PENDING -> createdAt;
            case SETTLED, FAILED -> settledAt();
            case RETURNED -> returnedAt();
        };
    }

    /** As {@link #changedAt(Phase)}; once the rest of a partial return has come back by {@code now}, that time. */
    Instant changedAt(Phase phase, Instant now) {
        List<Returned> returns = returnsBy(now);
        return phase == Phase.RETURNED && !returns.isEmpty() ? returns.get(returns.size() - 1).at() : changedAt(phase);
    }

    BigDecimal statementAmount() {
        return amount.add(drift);
    }
}
