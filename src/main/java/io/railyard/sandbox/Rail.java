package io.railyard.sandbox;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * One simulated rail's world: its payouts (by idempotency key and by the rail's own id), how many times each key was
 * executed, and the faults ops injected. Transport faults are rolled per request; a payout's fate once, at creation,
 * and stored, so every later read tells the same story. Creation is serialised per rail: it is a simulator, and that
 * makes "one execution per key" (and per rail id) trivially true under concurrent retries.
 *
 * @param <D> what a payout of this rail carries (the rail's request, in its own terms)
 */
final class Rail<D> {

    private final String name;
    private final Clock clock;
    private final Duration timeoutSleep;
    private final Map<String, Payout<D>> byKey = new ConcurrentHashMap<>();
    private final Map<String, Payout<D>> byId = new ConcurrentHashMap<>();
    private final Map<String, Integer> executions = new ConcurrentHashMap<>();
    /** Every order of a payout, repeats with the same key included: a hub that only reads a payout it sent adds none. */
    private final Map<String, Integer> orders = new ConcurrentHashMap<>();
    private final Map<String, RailRefund<D>> refundsByKey = new ConcurrentHashMap<>();
    private final Map<String, RailRefund<D>> refundsById = new ConcurrentHashMap<>();
    private final Map<String, Bulk<D>> bulksByKey = new ConcurrentHashMap<>();
    private final Map<String, Bulk<D>> bulksById = new ConcurrentHashMap<>();
    private final Map<String, Integer> bulkExecutions = new ConcurrentHashMap<>();
    private final Map<String, Integer> bulkRequests = new ConcurrentHashMap<>();
    private volatile Faults faults = Faults.NONE;
    private volatile Random random;

    Rail(String name, Clock clock, Duration timeoutSleep) {
        this.name = name;
        this.clock = clock;
        this.timeoutSleep = timeoutSleep;
        this.random = seeded();
    }

    String name() {
        return name;
    }

    Instant now() {
        return clock.instant();
    }

    /**
     * Executes the payout once per key: a repeated key answers the payout it created (and a different request under
     * the same key is refused). {@code newId} makes the rail's own reference; one already taken is refused.
     */
    Payout<D> create(String key, D detail, BigDecimal amount, Supplier<String> newId) {
        Faults f = faults;
        pause(f.latencyMs());
        if (roll(f.errorRate())) {
            throw SandboxFault.unavailable(name);
        }
        Payout<D> payout = execute(key, detail, amount, newId, f, random);
        if (roll(f.loseConfirmationRate())) {
            throw SandboxFault.confirmationLost(name);
        }
        if (roll(f.timeoutRate())) {
            pause(timeoutSleep.toMillis());
        }
        return payout;
    }

    /**
     * Executes a bulk request once per bulk key: transport faults are rolled once for the request, each line is a
     * payout executed once per its own key with its own fate ({@code fail_rate} per line). The same bulk key again
     * answers the bulk it created; with other lines it is refused.
     */
    Bulk<D> createBulk(String key, List<Bulk.Line<D>> lines, Supplier<String> newId) {
        bulkRequests.merge(key, 1, Integer::sum);
        Faults f = faults;
        pause(f.latencyMs());
        if (roll(f.errorRate())) {
            throw SandboxFault.unavailable(name);
        }
        Bulk<D> bulk = executeBulk(key, lines, newId, f);
        if (roll(f.loseConfirmationRate())) {
            throw SandboxFault.confirmationLost(name);
        }
        if (roll(f.timeoutRate())) {
            pause(timeoutSleep.toMillis());
        }
        return bulk;
    }

    /** A bulk's status read by the rail's id (faults apply). */
    Optional<Bulk<D>> bulkById(String id) {
        statusFaults();
        return Optional.ofNullable(bulksById.get(id));
    }

    /** Executions per bulk key, sorted by key. */
    Map<String, Integer> bulkExecutions() {
        return new TreeMap<>(bulkExecutions);
    }

    /** Bulk requests received per bulk key, the ones answered with the bulk they had created included. */
    Map<String, Integer> bulkRequests() {
        return new TreeMap<>(bulkRequests);
    }

    /**
     * Executes a refund of a settled payout once per key (transport faults as for a payout; its fate from
     * {@code fail_rate} and {@code settle_after_ms}). The rail refuses a payout that is not settled and a refund that
     * would take more than the payout paid minus its refunds not failed.
     */
    RailRefund<D> refund(Payout<D> original, String key, BigDecimal amount, Supplier<String> newId) {
        Faults f = faults;
        pause(f.latencyMs());
        if (roll(f.errorRate())) {
            throw SandboxFault.unavailable(name);
        }
        RailRefund<D> refund = executeRefund(original, key, amount, newId, f);
        if (roll(f.loseConfirmationRate())) {
            throw SandboxFault.confirmationLost(name);
        }
        if (roll(f.timeoutRate())) {
            pause(timeoutSleep.toMillis());
        }
        return refund;
    }

    /** A refund's status read by the rail's id for it (faults apply). */
    Optional<RailRefund<D>> refundById(String id) {
        statusFaults();
        return Optional.ofNullable(refundsById.get(id));
    }

    /** A refund's status read by its idempotency key (faults apply). */
    Optional<RailRefund<D>> refundByKey(String key) {
        statusFaults();
        return Optional.ofNullable(refundsByKey.get(key));
    }

    /** The refunds of a payout, oldest first (no faults: part of the payout's own view). */
    List<RailRefund<D>> refundsOf(Payout<D> payout) {
        return refundsByKey.values().stream().filter(r -> r.payout().key().equals(payout.key()))
                .sorted(Comparator.comparing(RailRefund::createdAt)).toList();
    }

    /** Refunds asked in [from, to), oldest first (statements list them with the payouts). */
    List<RailRefund<D>> refundStatement(Instant from, Instant to) {
        return refundsByKey.values().stream()
                .filter(r -> !r.createdAt().isBefore(from) && r.createdAt().isBefore(to))
                .sorted(Comparator.comparing(RailRefund::createdAt)).toList();
    }

    /** A payout by the rail's id, without faults (the target of a refund, checked inside the refund call). */
    Optional<Payout<D>> payoutById(String id) {
        return Optional.ofNullable(byId.get(id));
    }

    /** A payout by its idempotency key, without faults. */
    Optional<Payout<D>> payoutByKey(String key) {
        return Optional.ofNullable(byKey.get(key));
    }

    /** A status read by the rail's id (faults apply). */
    Optional<Payout<D>> byId(String id) {
        statusFaults();
        return Optional.ofNullable(byId.get(id));
    }

    /** A status read by idempotency key (faults apply). */
    Optional<Payout<D>> byKey(String key) {
        statusFaults();
        return Optional.ofNullable(byKey.get(key));
    }

    /** Payouts created in [from, to), oldest first; a duplicated confirmation is listed twice. */
    List<Payout<D>> statement(Instant from, Instant to) {
        pause(faults.latencyMs());
        return byKey.values().stream()
                .filter(p -> !p.createdAt().isBefore(from) && p.createdAt().isBefore(to))
                .sorted(Comparator.comparing(Payout::createdAt))
                .flatMap(p -> Collections.nCopies(p.statementCopies(), p).stream())
                .toList();
    }

    /** Every payout, without faults: for state the rail derives (a sender's next nonce). */
    Collection<Payout<D>> payouts() {
        return Collections.unmodifiableCollection(byKey.values());
    }

    Payout.Phase phase(Payout<D> payout) {
        return payout.phase(now());
    }

    Faults faults() {
        return faults;
    }

    void faults(Faults faults) {
        this.faults = faults;
    }

    /** Executions per idempotency key, sorted by key. */
    Map<String, Integer> executions() {
        return new TreeMap<>(executions);
    }

    /** Orders received per idempotency key (repeats included), sorted by key. */
    Map<String, Integer> orders() {
        return new TreeMap<>(orders);
    }

    /** Forgets every payout and count (faults stay); the fault rolls replay from the seed. */
    synchronized void reset() {
        byKey.clear();
        byId.clear();
        refundsByKey.clear();
        refundsById.clear();
        executions.clear();
        orders.clear();
        bulksByKey.clear();
        bulksById.clear();
        bulkExecutions.clear();
        bulkRequests.clear();
        random = seeded();
    }

    private synchronized Payout<D> execute(String key, D detail, BigDecimal amount, Supplier<String> newId, Faults f,
            Random rolls) {
        orders.merge(key, 1, Integer::sum);
        Payout<D> existing = byKey.get(key);
        if (existing != null) {
            if (!existing.detail().equals(detail)) {
                throw RailError.keyReused(key);
            }
            return existing;
        }
        String id = newId.get();
        if (byId.containsKey(id)) {
            throw RailError.referenceTaken(id);
        }
        Payout.Outcome outcome = roll(f.failRate(), rolls) ? Payout.Outcome.FAIL
                : roll(f.returnRate(), rolls) ? Payout.Outcome.RETURN : Payout.Outcome.SETTLE;
        Payout<D> payout = new Payout<>(key, id, detail, amount, now().truncatedTo(ChronoUnit.MILLIS), outcome,
                Duration.ofMillis(f.settleAfterMs()), Duration.ofMillis(f.returnAfterMs()),
                BigDecimal.valueOf(f.amountDriftMinor(), amount.scale()),
                roll(f.duplicateConfirmationRate(), rolls) ? 2 : 1,
                outcome == Payout.Outcome.FAIL ? f.failReason() : null,
                outcome == Payout.Outcome.RETURN ? part(amount, f.returnShare()) : null,
                f.returnRestAfterMs() > 0 ? Duration.ofMillis(f.returnRestAfterMs()) : null);
        byKey.put(key, payout);
        byId.put(id, payout);
        executions.merge(key, 1, Integer::sum);
        return payout;
    }

    /** {@code share} of {@code amount}, rounded down; null when that is nothing or everything (a whole return). */
    private static BigDecimal part(BigDecimal amount, double share) {
        BigDecimal part = amount.multiply(BigDecimal.valueOf(share)).setScale(amount.scale(), RoundingMode.DOWN);
        return part.signum() > 0 && part.compareTo(amount) < 0 ? part : null;
    }

    private synchronized Bulk<D> executeBulk(String key, List<Bulk.Line<D>> lines, Supplier<String> newId, Faults f) {
        Bulk<D> existing = bulksByKey.get(key);
        if (existing != null) {
            List<String> asked = lines.stream().map(Bulk.Line::key).toList();
            if (!existing.payouts().stream().map(Payout::key).toList().equals(asked)) {
                throw RailError.keyReused(key);
            }
            return existing;
        }
        for (Bulk.Line<D> line : lines) { // all or nothing: no line runs when one cannot
            Payout<D> taken = byKey.get(line.key());
            if (taken != null && !taken.detail().equals(line.detail())) {
                throw RailError.keyReused(line.key());
            }
        }
        String id = newId.get();
        if (bulksById.containsKey(id) || byId.containsKey(id)) {
            throw RailError.referenceTaken(id);
        }
        // every bulk rolls its lines' fates from the seed afresh: line n of a bulk meets the same fate whatever else
        // the rail paid before it (a stranded transfer paid alone between a reset and the bulk shifts nothing)
        Random rolls = seeded();
        List<Payout<D>> payouts = lines.stream()
                .map(line -> execute(line.key(), line.detail(), line.amount(), newId, f, rolls)).toList();
        Bulk<D> bulk = new Bulk<>(key, id, payouts, now().truncatedTo(ChronoUnit.MILLIS));
        bulksByKey.put(key, bulk);
        bulksById.put(id, bulk);
        bulkExecutions.merge(key, 1, Integer::sum);
        return bulk;
    }

    private synchronized RailRefund<D> executeRefund(Payout<D> original, String key, BigDecimal amount,
            Supplier<String> newId, Faults f) {
        RailRefund<D> existing = refundsByKey.get(key);
        if (existing != null) {
            if (!existing.payout().key().equals(original.key()) || existing.amount().compareTo(amount) != 0) {
                throw RailError.keyReused(key);
            }
            return existing;
        }
        Instant now = now();
        Payout.Phase phase = original.phase(now);
        if (phase != Payout.Phase.SETTLED && !original.partlyReturned(now)) {
            throw RailError.invalid("payout", "is " + phase.name().toLowerCase()
                    + ": only a settled payout can be refunded");
        }
        BigDecimal taken = refundsOf(original).stream().filter(r -> r.phase(now) != Payout.Phase.FAILED)
                .map(RailRefund::amount).reduce(original.returnedBy(now), BigDecimal::add);
        if (taken.add(amount).compareTo(original.amount()) > 0) {
            throw RailError.invalid("amount", "exceeds what remains refundable ("
                    + original.amount().subtract(taken).toPlainString() + ")");
        }
        String id = newId.get();
        if (refundsById.containsKey(id) || byId.containsKey(id)) {
            throw RailError.referenceTaken(id);
        }
        RailRefund<D> refund = new RailRefund<>(key, id, original, amount, now().truncatedTo(ChronoUnit.MILLIS),
                roll(f.failRate()), Duration.ofMillis(f.settleAfterMs()));
        refundsByKey.put(key, refund);
        refundsById.put(id, refund);
        executions.merge(key, 1, Integer::sum);
        return refund;
    }

    private void statusFaults() {
        Faults f = faults;
        pause(f.latencyMs());
        if (roll(f.errorRate())) {
            throw SandboxFault.unavailable(name);
        }
        if (roll(f.timeoutRate())) {
            pause(timeoutSleep.toMillis());
        }
    }

    /** A rate of 0 never fires and 1 always does, whatever the seed. */
    private boolean roll(double rate) {
        return roll(rate, random);
    }

    private static boolean roll(double rate, Random rolls) {
        return rate > 0 && rolls.nextDouble() < rate;
    }

    private Random seeded() {
        return new Random(name.hashCode());
    }

    private static void pause(long millis) {
        if (millis <= 0) {
            return;
        }
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
