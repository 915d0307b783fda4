package io.railyard.webhook;

import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code railyard.webhooks.*} (documented in config/application.yaml and the README's webhook section).
 *
 * @param schedule            delay before each attempt, counted from the previous failure; its size is the number of
 *                            attempts before a delivery goes to the dead letter queue
 * @param jitter              each scheduled delay is stretched or shrunk at random by up to this fraction
 * @param maxRetryAfter       a receiver's Retry-After is honoured up to this long
 * @param timeout             an attempt that has not answered (headers and body) within this is a failure
 * @param connectTimeout      TCP connect timeout
 * @param lease               how long an instance owns a claimed delivery; after it (the instance died) others retry it
 * @param maxInFlight         concurrent requests of one hub instance, all endpoints together
 * @param maxInFlightPerEndpoint concurrent requests to one endpoint, across every instance
 * @param claimBatch          deliveries claimed per poll at most
 * @param breakerFailures     consecutive failed attempts after which an endpoint is paused
 * @param breakerPause        how long it is paused; then one probe at a time until an attempt succeeds
 * @param fanoutBatch         outbox events read per fan-out transaction
 * @param fanoutGapTimeout    an outbox id still missing after this is taken for a rolled-back transaction
 * @param retention           delivery logs (deliveries and attempts) are purged after this
 * @param secretRotationOverlap default time the previous secret keeps signing after a rotation
 * @param secretKey           base64 of a 32-byte AES key sealing the signing secrets at rest; empty: stored as is
 * @param requireHttps        refuse http:// endpoint URLs
 * @param allowPrivateNetworks allow endpoints on loopback, private and link-local addresses (never in production)
 * @param timeCompression     divides every delay of the schedule, Retry-After and the breaker pause: for tests and
 *                            demos that play a day of retries in seconds; 1 in production
 */
@ConfigurationProperties("railyard.webhooks")
public record WebhookSettings(
        @DefaultValue({"0s", "5m", "30m", "4h", "20h"}) List<Duration> schedule,
        @DefaultValue("0.1") double jitter,
        @DefaultValue("12h") Duration maxRetryAfter,
        @DefaultValue("10s") Duration timeout,
        @DefaultValue("5s") Duration connectTimeout,
        @DefaultValue("60s") Duration lease,
        @DefaultValue("256") int maxInFlight,
        @DefaultValue("16") int maxInFlightPerEndpoint,
        @DefaultValue("500") int claimBatch,
        @DefaultValue("10") int breakerFailures,
        @DefaultValue("5m") Duration breakerPause,
        @DefaultValue("500") int fanoutBatch,
        @DefaultValue("5m") Duration fanoutGapTimeout,
        @DefaultValue("30d") Duration retention,
        @DefaultValue("24h") Duration secretRotationOverlap,
        @DefaultValue("") String secretKey,
        @DefaultValue("false") boolean requireHttps,
        @DefaultValue("true") boolean allowPrivateNetworks,
        @DefaultValue("1") double timeCompression) {

    public WebhookSettings {
        if (schedule == null || schedule.isEmpty()) {
            throw new IllegalArgumentException("railyard.webhooks.schedule needs at least one delay");
        }
        schedule = List.copyOf(schedule);
        if (schedule.stream().anyMatch(Duration::isNegative)) {
            throw new IllegalArgumentException("railyard.webhooks.schedule: delays cannot be negative");
        }
        if (jitter < 0 || jitter >= 1) {
            throw new IllegalArgumentException("railyard.webhooks.jitter is a fraction in [0, 1)");
        }
        if (timeCompression < 1) {
            throw new IllegalArgumentException("railyard.webhooks.time-compression is 1 or more");
        }
        if (lease.compareTo(timeout.plus(connectTimeout)) <= 0) {
            throw new IllegalArgumentException("railyard.webhooks.lease must exceed timeout + connect-timeout");
        }
        if (maxInFlight < 1 || maxInFlightPerEndpoint < 1 || claimBatch < 1 || fanoutBatch < 1 || breakerFailures < 1) {
            throw new IllegalArgumentException("railyard.webhooks: limits and batch sizes are at least 1");
        }
    }

    /** Attempts before the dead letter queue. */
    public int maxAttempts() {
        return schedule.size();
    }

    /** A real-time delay as the hub waits it (divided by the time compression). */
    public Duration compress(Duration real) {
        if (timeCompression == 1) {
            return real;
        }
        return Duration.ofNanos((long) (real.toNanos() / timeCompression));
    }
}
