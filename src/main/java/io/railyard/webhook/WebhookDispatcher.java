package io.railyard.webhook;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Sends due webhook deliveries, driven by the {@code webhook.delivery.poll} route. Everything it needs is in the
 * database, so a fresh instance (or another hub) carries on where one stopped:
 * <ol>
 * <li><b>claim</b> (one transaction): endpoints that are enabled, not paused and have due deliveries are locked
 * {@code FOR UPDATE SKIP LOCKED} (so concurrent claimers never both take an endpoint's free slots); each gets as many
 * deliveries as its in-flight limit leaves free (one, as a probe, while its circuit breaker is tripped), themselves
 * locked {@code SKIP LOCKED} and leased: {@code lease_until}, a claim token, and {@code next_attempt_at} moved to the
 * lease's end, so a delivery whose sender died is simply due again when the lease ends;</li>
 * <li><b>send</b> without waiting: every request runs asynchronously, bounded per instance
 * ({@code max-in-flight}); a slow endpoint only fills its own slots;</li>
 * <li><b>record</b> (a recorder thread, in batches): the attempt, the delivery's new state (succeeded; next attempt
 * from the schedule with jitter and Retry-After; or dead letter when attempts are exhausted or on 410) and the
 * endpoint's health (consecutive failures, pause, disabled on 410), guarded by the claim token.</li>
 * </ol>
 */
@Component("webhookDispatcher")
public class WebhookDispatcher implements DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(WebhookDispatcher.class);
    private static final Duration POLL_BUDGET = Duration.ofSeconds(1);
    private static final int RECORD_BATCH = 500;
    private static final long RECORD_LINGER_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

    private final JdbcClient jdbc;
    private final JdbcTemplate template;
    private final TransactionTemplate tx;
    private final WebhookEndpoints endpoints;
    private final WebhookSender sender;
    private final RetrySchedule schedule;
    private final WebhookMetrics metrics;
    private final WebhookSettings settings;
    private final ObjectMapper json;
    private final Semaphore capacity;
    private final BlockingQueue<Completed> completed = new LinkedBlockingQueue<>();
    private final Object progress = new Object();
    private final Thread recorder;
    private long recordedBatches;
    private volatile boolean closed;
    private volatile boolean recorderStop;

    WebhookDispatcher(JdbcClient jdbc, JdbcTemplate template, TransactionTemplate tx, WebhookEndpoints endpoints,
            WebhookSender sender, RetrySchedule schedule, WebhookMetrics metrics, WebhookSettings settings,
            ObjectMapper json) {
        this.jdbc = jdbc;
        this.template = template;
        this.tx = tx;
        this.endpoints = endpoints;
        this.sender = sender;
        this.schedule = schedule;
        this.metrics = metrics;
        this.settings = settings;
        this.json = json;
        this.capacity = new Semaphore(settings.maxInFlight());
        this.recorder = new Thread(this::recordLoop, "webhook-recorder");
        this.recorder.setDaemon(true);
        this.recorder.start();
    }

    /** A leased delivery and what sending it needs. */
    record Claimed(UUID id, UUID endpointId, UUID claimToken, String eventId, String eventType, String payload,
            int attempts, int totalAttempts, String url, List<String> secrets) {
    }

    private record Completed(Claimed delivery, WebhookSender.Outcome outcome) {
    }

    /**
     * Claims and sends due deliveries until none is claimable or the poll's time budget (1 s) is spent; returns how
     * many were sent. Never waits for a slow receiver: it claims again as soon as recorded attempts free slots.
     */
    public int dispatchDue() {
        long deadline = System.nanoTime() + POLL_BUDGET.toNanos();
        int total = 0;
        while (!closed) {
            long mark = progressMark();
            int sent = claimAndSend();
            total += sent;
            if (sent == 0 || System.nanoTime() > deadline) {
                break;
            }
            awaitProgress(mark, 50);
        }
        return total;
    }

    private int claimAndSend() {
        int want = Math.min(settings.claimBatch(), capacity.availablePermits());
        if (want <= 0 || !capacity.tryAcquire(want)) {
            return 0;
        }
        List<Claimed> claimed;
        try {
            claimed = tx.execute(status -> claim(want));
        } catch (RuntimeException e) {
            capacity.release(want);
            throw e;
        }
        capacity.release(want - claimed.size());
        for (Claimed delivery : claimed) {
            CompletableFuture<WebhookSender.Outcome> sending;
            try {
                sending = sender.send(new WebhookSender.Message(delivery.url(), delivery.eventId(), delivery.payload(),
                        delivery.secrets()));
            } catch (RuntimeException e) {
                sending = CompletableFuture.failedFuture(e);
            }
            sending.whenComplete((outcome, fault) -> {
                completed.add(new Completed(delivery, outcome != null ? outcome
                        : new WebhookSender.Outcome(Instant.now(), delivery.url(), Map.of(), null, null, null, 0,
                                "not sent: " + fault, null)));
                capacity.release();
            });
        }
        return claimed.size();
    }

    /**
     * Webhook bookkeeping commits without waiting for the WAL flush: a commit lost in a database crash only means a
     * delivery is sent again (its lease lapses), which at-least-once delivery allows; and WAL order means no later
     * commit survives a lost one.
     */
    static void asyncCommit(JdbcClient jdbc) {
        jdbc.sql("set local synchronous_commit = off").update();
    }

    private List<Claimed> claim(int want) {
        asyncCommit(jdbc);
        UUID token = UUID.randomUUID();
        long leaseMicros = settings.lease().toNanos() / 1000;
        List<Leased> leased = jdbc.sql("""
                with ready as (
                    select e.id, e.url, e.secret, e.previous_secret, e.previous_secret_expires_at,
                        (case when e.consecutive_failures >= ? then 1 else ? end)
                        - (select count(*) from webhook_deliveries l where l.endpoint_id = e.id
                           and l.lease_until > now()) as slots
                    from webhook_endpoints e
                    where e.enabled and (e.paused_until is null or e.paused_until <= now())
                      -- the endpoint's earliest pending delivery, one index probe (never a scan of the backlog)
                      and (select d.next_attempt_at from webhook_deliveries d where d.endpoint_id = e.id
                           and d.status = 'PENDING' order by d.next_attempt_at limit 1) <= now()
                    order by random()
                    limit 1000
                    for update of e skip locked),
                picked as (
                    select p.id, r.id as endpoint_id from ready r cross join lateral (
                        select d.id from webhook_deliveries d
                        where d.endpoint_id = r.id and d.status = 'PENDING' and d.next_attempt_at <= now()
                        order by d.next_attempt_at limit greatest(r.slots, 0)
                        for update of d skip locked) p
                    limit ?)
                update webhook_deliveries d
                set lease_until = now() + ? * interval '1 microsecond',
                    next_attempt_at = now() + ? * interval '1 microsecond', claim_token = ?
                from picked join ready r on r.id = picked.endpoint_id
                where d.id = picked.id
                returning d.id, d.endpoint_id, d.event_id, d.event_type, d.payload, d.attempts, d.total_attempts,
                    r.url, r.secret, r.previous_secret, r.previous_secret_expires_at""")
                .params(settings.breakerFailures(), settings.maxInFlightPerEndpoint(), want, leaseMicros, leaseMicros,
                        token)
                .query((rs, n) -> new Leased(new Claimed(rs.getObject("id", UUID.class),
                        rs.getObject("endpoint_id", UUID.class), token, rs.getString("event_id"),
                        rs.getString("event_type"), rs.getString("payload"), rs.getInt("attempts"),
                        rs.getInt("total_attempts"), rs.getString("url"), null), rs.getString("secret"),
                        rs.getString("previous_secret"),
                        WebhookEndpoints.instant(rs.getTimestamp("previous_secret_expires_at"))))
                .list();
        if (leased.isEmpty()) {
            return List.of();
        }
        Instant now = Instant.now();
        Map<UUID, List<String>> secrets = new HashMap<>();
        List<UUID> unreadable = new ArrayList<>();
        List<Claimed> claimed = new ArrayList<>(leased.size());
        for (Leased row : leased) {
            Claimed delivery = row.delivery();
            if (!secrets.containsKey(delivery.endpointId())) {
                try {
                    secrets.put(delivery.endpointId(), endpoints.signingSecrets(row.secret(), row.previousSecret(),
                            row.previousExpiresAt(), now));
                } catch (RuntimeException e) {
                    log.error("Webhook endpoint {}: its signing secret cannot be read ({}); its deliveries wait",
                            delivery.endpointId(), e.getMessage());
                    secrets.put(delivery.endpointId(), null);
                }
            }
            List<String> keys = secrets.get(delivery.endpointId());
            if (keys == null) {
                unreadable.add(delivery.id());
            } else {
                claimed.add(new Claimed(delivery.id(), delivery.endpointId(), token, delivery.eventId(),
                        delivery.eventType(), delivery.payload(), delivery.attempts(), delivery.totalAttempts(),
                        delivery.url(), keys));
            }
        }
        if (!unreadable.isEmpty()) {
            jdbc.sql("""
                    update webhook_deliveries set lease_until = null, claim_token = null,
                        next_attempt_at = now() + interval '1 minute' where id = any(?)""")
                    .param(unreadable.toArray(UUID[]::new)).update();
        }
        return claimed;
    }

    private record Leased(Claimed delivery, String secret, String previousSecret, Instant previousExpiresAt) {
    }

    // ---------------------------------------------------------------- recording

    private void recordLoop() {
        while (!recorderStop || !completed.isEmpty()) {
            try {
                Completed first = completed.poll(200, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                List<Completed> batch = new ArrayList<>();
                batch.add(first);
                // linger briefly while answers are still arriving: one transaction for many attempts
                long until = System.nanoTime() + RECORD_LINGER_NANOS;
                while (batch.size() < RECORD_BATCH) {
                    completed.drainTo(batch, RECORD_BATCH - batch.size());
                    long left = until - System.nanoTime();
                    if (left <= 0 || inFlight() == 0 || batch.size() >= RECORD_BATCH) {
                        break;
                    }
                    Completed next = completed.poll(left, TimeUnit.NANOSECONDS);
                    if (next != null) {
                        batch.add(next);
                    }
                }
                recordWithRetry(batch);
                synchronized (progress) {
                    recordedBatches++;
                    progress.notifyAll();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                log.error("Webhook recorder fault", e);
            }
        }
    }

    private void recordWithRetry(List<Completed> batch) throws InterruptedException {
        for (int attempt = 1; ; attempt++) {
            try {
                record(batch);
                return;
            } catch (RuntimeException e) {
                if (attempt == 3) {
                    // The deliveries stay leased; when the lease ends they are attempted again (at least once).
                    log.error("Could not record {} webhook attempts; they will be retried after their lease",
                            batch.size(), e);
                    return;
                }
                log.warn("Recording {} webhook attempts failed ({}); retrying", batch.size(), e.toString());
                Thread.sleep(200L * attempt);
            }
        }
    }

    /** Per endpoint, in completion order: were there successes, failures since the last one, a 410. */
    private static final class Health {
        boolean success;
        int failuresAfter;
        boolean gone;
    }

    private void record(List<Completed> batch) {
        Map<UUID, Health> health = new TreeMap<>();
        for (Completed done : batch) {
            Health h = health.computeIfAbsent(done.delivery().endpointId(), id -> new Health());
            if (done.outcome().succeeded()) {
                h.success = true;
                h.failuresAfter = 0;
            } else {
                h.failuresAfter++;
                h.gone |= done.outcome().gone();
            }
        }
        List<Completed> ordered = new ArrayList<>(batch);
        ordered.sort(Comparator.comparing(done -> done.delivery().id()));
        List<Object[]> deliveries = new ArrayList<>();
        List<Object[]> attempts = new ArrayList<>();
        List<WebhookMetrics.SenderOutcome> classes = new ArrayList<>();
        for (Completed done : ordered) {
            Claimed d = done.delivery();
            WebhookSender.Outcome o = done.outcome();
            int made = d.attempts() + 1;
            WebhookMetrics.SenderOutcome outcome = o.succeeded() ? WebhookMetrics.SenderOutcome.SUCCEEDED
                    : o.gone() ? WebhookMetrics.SenderOutcome.GONE : WebhookMetrics.SenderOutcome.FAILED;
            classes.add(outcome);
            String status;
            long delayMicros = 0;
            String error = null;
            if (outcome == WebhookMetrics.SenderOutcome.SUCCEEDED) {
                status = "SUCCEEDED";
            } else if (outcome == WebhookMetrics.SenderOutcome.GONE) {
                status = "DEAD";
                error = "410 Gone: the receiver asked to stop; the endpoint is disabled";
            } else {
                error = o.error() != null ? o.error() : "HTTP " + o.status();
                if (schedule.exhausted(made)) {
                    status = "DEAD";
                } else {
                    status = "PENDING";
                    delayMicros = schedule.delayAfter(made, o.retryAfter()).toNanos() / 1000;
                }
            }
            deliveries.add(new Object[] {status, made, d.totalAttempts() + 1, status.equals("PENDING"), delayMicros,
                    Timestamp.from(o.attemptedAt()), o.status(), error, status.equals("SUCCEEDED"),
                    status.equals("DEAD"), d.id(), d.claimToken()});
            attempts.add(new Object[] {d.id(), d.totalAttempts() + 1, Timestamp.from(o.attemptedAt()), o.url(),
                    write(o.requestHeaders()), o.status(), o.responseHeaders() == null ? null
                            : write(o.responseHeaders()), o.responseBody(), (int) Math.min(o.latencyMs(),
                                    Integer.MAX_VALUE), o.error(), outcome.name(), d.id()});
        }
        int[] applied = tx.execute(txStatus -> {
            asyncCommit(jdbc);
            // endpoints first, then deliveries (both in id order): the lock order of every other writer
            List<Object[]> healthy = new ArrayList<>();
            List<Object[]> failing = new ArrayList<>();
            long pauseMicros = settings.compress(settings.breakerPause()).toNanos() / 1000;
            health.forEach((id, h) -> {
                if (h.failuresAfter == 0) {
                    healthy.add(new Object[] {id});
                } else {
                    failing.add(new Object[] {h.success, h.failuresAfter, h.failuresAfter, h.success, h.failuresAfter,
                        h.failuresAfter, settings.breakerFailures(), pauseMicros, h.gone, h.gone,
                        "the receiver answered 410 Gone", h.gone, id});
                }
            });
            // the common case, all answered 2xx: no write (nor row lock) unless the endpoint was failing
            template.batchUpdate("""
                    update webhook_endpoints set consecutive_failures = 0, paused_until = null
                    where id = ? and (consecutive_failures <> 0 or paused_until is not null)""", healthy,
                    new int[] {Types.OTHER});
            template.batchUpdate("""
                    update webhook_endpoints set
                        consecutive_failures = case when ? then ? else consecutive_failures + ? end,
                        paused_until = case
                            when (case when ? then ? else consecutive_failures + ? end) >= ?
                                then now() + ? * interval '1 microsecond'
                            else null end,
                        enabled = enabled and not ?,
                        disabled_reason = case when ? then ? else disabled_reason end,
                        updated_at = case when ? then now() else updated_at end
                    where id = ?""", failing, new int[] {Types.BOOLEAN, Types.INTEGER, Types.INTEGER,
                    Types.BOOLEAN, Types.INTEGER, Types.INTEGER, Types.INTEGER, Types.BIGINT, Types.BOOLEAN,
                    Types.BOOLEAN, Types.VARCHAR, Types.BOOLEAN, Types.OTHER});
            int[] counts = template.batchUpdate("""
                    update webhook_deliveries set status = ?, attempts = ?, total_attempts = ?,
                        next_attempt_at = case when ? then now() + ? * interval '1 microsecond' end,
                        lease_until = null, claim_token = null, last_attempt_at = ?, last_status = ?, last_error = ?,
                        delivered_at = case when ? then now() else delivered_at end,
                        dead_at = case when ? then now() end, updated_at = now()
                    where id = ? and claim_token = ?""", deliveries, new int[] {Types.VARCHAR, Types.INTEGER,
                    Types.INTEGER, Types.BOOLEAN, Types.BIGINT, Types.TIMESTAMP, Types.INTEGER, Types.VARCHAR,
                    Types.BOOLEAN, Types.BOOLEAN, Types.OTHER, Types.OTHER});
            template.batchUpdate("""
                    insert into webhook_attempts (delivery_id, attempt_no, attempted_at, url, request_headers,
                        response_status, response_headers, response_body, latency_ms, error, outcome)
                    select ?, ?, ?, ?, ?::jsonb, ?, ?::jsonb, ?, ?, ?, ?
                    where exists (select 1 from webhook_deliveries where id = ?)""", attempts, new int[] {
                    Types.OTHER, Types.INTEGER, Types.TIMESTAMP, Types.VARCHAR, Types.VARCHAR, Types.INTEGER,
                    Types.VARCHAR, Types.VARCHAR, Types.INTEGER, Types.VARCHAR, Types.VARCHAR, Types.OTHER});
            return counts;
        });
        for (int i = 0; i < ordered.size(); i++) {
            Completed done = ordered.get(i);
            metrics.attempt(classes.get(i), done.outcome().latencyMs());
            if (applied[i] == 0) {
                log.warn("Webhook delivery {} changed while it was being sent (lease expired, replayed or deleted): "
                        + "its attempt is logged, its state is left as is", done.delivery().id());
                continue;
            }
            Object status = deliveries.get(i)[0];
            if ("SUCCEEDED".equals(status)) {
                metrics.delivered();
            } else if ("DEAD".equals(status)) {
                metrics.deadLettered();
                log.info("Webhook delivery {} (event {} {}) to endpoint {} is dead after {} attempt(s): {}",
                        done.delivery().id(), done.delivery().eventType(), done.delivery().eventId(),
                        done.delivery().endpointId(), done.delivery().attempts() + 1, deliveries.get(i)[7]);
            }
        }
        health.forEach((id, h) -> {
            if (h.gone) {
                log.warn("Webhook endpoint {} answered 410 Gone: disabled", id);
            }
        });
    }

    private String write(Map<String, String> headers) {
        try {
            return json.writeValueAsString(headers);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---------------------------------------------------------------- progress and shutdown

    private long progressMark() {
        synchronized (progress) {
            return recordedBatches;
        }
    }

    private void awaitProgress(long mark, long maxMillis) {
        long until = System.currentTimeMillis() + maxMillis;
        synchronized (progress) {
            while (recordedBatches == mark && !closed) {
                long left = until - System.currentTimeMillis();
                if (left <= 0) {
                    return;
                }
                try {
                    progress.wait(left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** Requests in flight on this instance (for tests and the benchmark). */
    int inFlight() {
        return settings.maxInFlight() - capacity.availablePermits();
    }

    /** Stops claiming, lets requests in flight finish (up to the timeout) and records them. */
    @Override
    public void destroy() throws InterruptedException {
        closed = true;
        synchronized (progress) {
            progress.notifyAll();
        }
        if (capacity.tryAcquire(settings.maxInFlight(), settings.timeout().toMillis() + 2000, TimeUnit.MILLISECONDS)) {
            capacity.release(settings.maxInFlight());
        }
        recorderStop = true;
        recorder.join(10_000);
    }
}
