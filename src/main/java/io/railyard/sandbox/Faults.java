package io.railyard.sandbox;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import io.railyard.api.Problem;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * What ops injected into one rail (PUT replaces the whole set; omitted fields are 0). Rates are probabilities in [0, 1]:
 * the transport faults ({@code error}, {@code timeout}, {@code lose_confirmation}) are rolled per request, the fate of a
 * payout ({@code fail}, {@code return}, {@code duplicate_confirmation}, drift and delays) once, when it is created.
 * {@code fail_reason} is the rail's own failure code a failed payout reports (each rail has its default);
 * {@code return_share} the part of a returned payout that comes back (0, the default, means all of it), and
 * {@code return_rest_after_ms} when the rest of such a payout comes back too, after the part (0, the default: never).
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
record Faults(long latencyMs, double errorRate, double timeoutRate, double loseConfirmationRate,
        double duplicateConfirmationRate, long amountDriftMinor, double failRate, double returnRate, long returnAfterMs,
        long settleAfterMs, String failReason, double returnShare, long returnRestAfterMs) {

    static final Faults NONE = new Faults(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, null, 0, 0);
    private static final Pattern REASON = Pattern.compile("[a-z][a-z0-9_]{0,63}");
    private static final long MAX_DELAY_MS = 86_400_000;

    /** Every out-of-range value, empty when the set is acceptable. */
    List<Problem.FieldError> violations() {
        List<Problem.FieldError> errors = new ArrayList<>();
        rate(errors, "error_rate", errorRate);
        rate(errors, "timeout_rate", timeoutRate);
        rate(errors, "lose_confirmation_rate", loseConfirmationRate);
        rate(errors, "duplicate_confirmation_rate", duplicateConfirmationRate);
        rate(errors, "fail_rate", failRate);
        rate(errors, "return_rate", returnRate);
        rate(errors, "return_share", returnShare);
        delay(errors, "latency_ms", latencyMs);
        delay(errors, "return_after_ms", returnAfterMs);
        delay(errors, "settle_after_ms", settleAfterMs);
        delay(errors, "return_rest_after_ms", returnRestAfterMs);
        if (failReason != null && !REASON.matcher(failReason).matches()) {
            errors.add(new Problem.FieldError(null, null, "fail_reason", "invalid",
                    "a rail failure code: lower-case letters, digits and _, up to 64"));
        }
        return errors;
    }

    private static void rate(List<Problem.FieldError> errors, String field, double value) {
        if (!(value >= 0 && value <= 1)) {
            errors.add(new Problem.FieldError(null, null, field, "out_of_range", "a probability from 0 to 1"));
        }
    }

    private static void delay(List<Problem.FieldError> errors, String field, long value) {
        if (value < 0 || value > MAX_DELAY_MS) {
            errors.add(new Problem.FieldError(null, null, field, "out_of_range", "milliseconds from 0 to " + MAX_DELAY_MS));
        }
    }
}
