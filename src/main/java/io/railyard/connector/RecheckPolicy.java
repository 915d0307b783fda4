package io.railyard.connector;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.UUID;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * When a submission without a final answer (a transfer, a refund, a settlement batch) is asked about again: the pause
 * doubles from {@code recheck-after} up to {@code recheck-max-pause}, so a confirmation lost to a crash or a slow rail
 * is found again within minutes however many times the rail said "pending"; after {@code max-attempts} the question
 * is left for review.
 */
@Component
public class RecheckPolicy {

    private final JdbcClient jdbc;
    private final String firstPauseSeconds;
    private final String maxPauseSeconds;
    private final int maxAttempts;

    public RecheckPolicy(JdbcClient jdbc, @Value("${railyard.settlement.recheck-after:PT20S}") Duration recheckAfter,
            @Value("${railyard.settlement.recheck-max-pause:PT5M}") Duration recheckMaxPause,
            @Value("${railyard.settlement.max-attempts:12}") int maxAttempts) {
        this.jdbc = jdbc;
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

    /**
     * Counts one more question about a row of {@code table} (columns {@code attempts}, {@code next_attempt_at}) and
     * schedules the next one; returns the attempts so far. Once {@link #exhausted} says so, the caller either
     * {@link #leaveForReview leaves the row for review} or has its own way to end it.
     */
    public int countAttempt(String table, UUID id) {
        return jdbc.sql("update " + table + " set attempts = attempts + 1, next_attempt_at = "
                + nextAttemptAt("attempts") + " where id = ? returning attempts")
                .param(id).query(Integer.class).single();
    }

    /** Stops asking about a row of {@code table} and flags it for review ({@code needs_review}). */
    public void leaveForReview(String table, UUID id) {
        jdbc.sql("update " + table + " set next_attempt_at = null, needs_review = true where id = ?").param(id)
                .update();
    }

    private static String seconds(Duration pause) {
        return BigDecimal.valueOf(pause.toMillis(), 3).toPlainString();
    }
}
