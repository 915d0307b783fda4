package io.railyard.connector;

import java.math.BigDecimal;
import java.time.Duration;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * When a submission without a final answer (a transfer, a refund, a settlement batch) is asked about again: the pause
 * doubles from {@code recheck-after} up to {@code recheck-max-pause}, so a confirmation lost to a crash or a slow rail
 * is found again within minutes however many times the rail said "pending"; after {@code max-attempts} the question
 * is left for review.
 */
@Component
public class RecheckPolicy {

    private final String firstPauseSeconds;
    private final String maxPauseSeconds;
    private final int maxAttempts;

    public RecheckPolicy(@Value("${railyard.settlement.recheck-after:PT20S}") Duration recheckAfter,
            @Value("${railyard.settlement.recheck-max-pause:PT5M}") Duration recheckMaxPause,
            @Value("${railyard.settlement.max-attempts:12}") int maxAttempts) {
        this.firstPauseSeconds = seconds(recheckAfter);
        this.maxPauseSeconds = seconds(recheckMaxPause);
        this.maxAttempts = maxAttempts;
    }

    /**
     * The SQL expression of the next time to ask, after {@code attemptsSoFar} (an SQL expression: a column, a
     * parameter or a literal) questions without a final answer.
     */
    public String nextAttemptAt(String attemptsSoFar) {
        return "clock_timestamp() + make_interval(secs => least(%s * power(2, %s), %s))"
                .formatted(firstPauseSeconds, attemptsSoFar, maxPauseSeconds);
    }

    /** Whether the question asked for the {@code attempts}-th time is the last one before review. */
    public boolean exhausted(int attempts) {
        return attempts >= maxAttempts;
    }

    private static String seconds(Duration pause) {
        return BigDecimal.valueOf(pause.toMillis(), 3).toPlainString();
    }
}
