package io.railyard.webhook;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * Webhook metrics (Prometheus names): {@code railyard_webhook_dead_letters} and {@code railyard_webhook_pending}
 * (gauges: deliveries in the dead letter queue / waiting, counted in the database, at most every 2 s), and counters
 * {@code railyard_webhook_attempts_total{outcome}}, {@code railyard_webhook_delivered_total},
 * {@code railyard_webhook_dead_lettered_total}, {@code railyard_webhook_fanned_out_total}, plus the timer
 * {@code railyard_webhook_attempt_latency_seconds}.
 */
@Component
class WebhookMetrics {

    private static final Logger log = LoggerFactory.getLogger(WebhookMetrics.class);
    private static final long REFRESH_NANOS = Duration.ofSeconds(2).toNanos();

    private final JdbcClient jdbc;
    private final Map<String, Counter> attempts;
    private final Counter delivered;
    private final Counter deadLettered;
    private final Counter fannedOut;
    private final Timer latency;
    private final AtomicLong refreshedAt = new AtomicLong(System.nanoTime() - REFRESH_NANOS);
    private volatile double dead = Double.NaN;
    private volatile double pending = Double.NaN;

    WebhookMetrics(MeterRegistry registry, JdbcClient jdbc) {
        this.jdbc = jdbc;
        this.attempts = Map.of(
                "succeeded", attemptCounter(registry, "succeeded"),
                "failed", attemptCounter(registry, "failed"),
                "gone", attemptCounter(registry, "gone"));
        this.delivered = Counter.builder("railyard.webhook.delivered")
                .description("Webhook deliveries a receiver accepted (2xx)").register(registry);
        this.deadLettered = Counter.builder("railyard.webhook.dead_lettered")
                .description("Webhook deliveries moved to the dead letter queue").register(registry);
        this.fannedOut = Counter.builder("railyard.webhook.fanned_out")
                .description("Webhook deliveries created from outbox events").register(registry);
        this.latency = Timer.builder("railyard.webhook.attempt.latency")
                .description("Time from sending a webhook to its answer (or failure)").register(registry);
        Gauge.builder("railyard.webhook.dead_letters", this, m -> m.refresh().dead)
                .description("Webhook deliveries in the dead letter queue (status DEAD)").register(registry);
        Gauge.builder("railyard.webhook.pending", this, m -> m.refresh().pending)
                .description("Webhook deliveries waiting for an attempt").register(registry);
    }

    private static Counter attemptCounter(MeterRegistry registry, String outcome) {
        return Counter.builder("railyard.webhook.attempts").tag("outcome", outcome)
                .description("Webhook delivery attempts by outcome").register(registry);
    }

    void attempt(SenderOutcome outcome, long latencyMs) {
        attempts.get(outcome.tag()).increment();
        latency.record(Duration.ofMillis(latencyMs));
    }

    void delivered() {
        delivered.increment();
    }

    void deadLettered() {
        deadLettered.increment();
    }

    void fannedOut(int deliveries) {
        fannedOut.increment(deliveries);
    }

    private WebhookMetrics refresh() {
        long last = refreshedAt.get();
        if (System.nanoTime() - last >= REFRESH_NANOS && refreshedAt.compareAndSet(last, System.nanoTime())) {
            try {
                long[] counts = jdbc.sql("""
                        select (select count(*) from webhook_deliveries where status = 'DEAD') as dead,
                            (select count(*) from webhook_deliveries where status = 'PENDING') as pending""")
                        .query((rs, n) -> new long[] {rs.getLong("dead"), rs.getLong("pending")}).single();
                dead = counts[0];
                pending = counts[1];
            } catch (RuntimeException e) {
                log.warn("Webhook gauges not refreshed: {}", e.toString());
                dead = Double.NaN;
                pending = Double.NaN;
            }
        }
        return this;
    }

    /** The outcome classes of an attempt. */
    enum SenderOutcome {
        SUCCEEDED, FAILED, GONE;

        String tag() {
            return name().toLowerCase();
        }
    }
}
