package io.railyard.webhook;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ThreadLocalRandom;
import org.springframework.stereotype.Component;

/**
 * When the next attempt of a failed delivery happens: the schedule's delay for that attempt (exponential by default:
 * 0 s, 5 min, 30 min, 4 h, 20 h, about 24 h in all), stretched or shrunk at random by up to the jitter so that
 * deliveries failed together do not retry together, and never earlier than the receiver's {@code Retry-After} (capped).
 */
@Component
class RetrySchedule {

    private final WebhookSettings settings;

    RetrySchedule(WebhookSettings settings) {
        this.settings = settings;
    }

    int maxAttempts() {
        return settings.maxAttempts();
    }

    /** Whether a delivery that has failed {@code attemptsMade} times is exhausted (goes to the dead letter queue). */
    boolean exhausted(int attemptsMade) {
        return attemptsMade >= settings.maxAttempts();
    }

    /** The wait before the next attempt, after {@code attemptsMade} failed ones (1 or more), as the hub waits it. */
    Duration delayAfter(int attemptsMade, Duration retryAfter) {
        Duration base = settings.schedule().get(Math.min(attemptsMade, settings.maxAttempts() - 1));
        double factor = settings.jitter() == 0 ? 1
                : 1 + ThreadLocalRandom.current().nextDouble(-settings.jitter(), settings.jitter());
        Duration delay = Duration.ofNanos((long) (base.toNanos() * factor));
        if (retryAfter != null && !retryAfter.isNegative()) {
            Duration honoured = retryAfter.compareTo(settings.maxRetryAfter()) > 0 ? settings.maxRetryAfter()
                    : retryAfter;
            if (honoured.compareTo(delay) > 0) {
                delay = honoured;
            }
        }
        return settings.compress(delay);
    }
}
