package io.railyard.api;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * An RFC 9457 problem document. {@code type} is a stable URI per {@code code}; {@code field} names the input at fault;
 * {@code errors} lists every fault when there are several (a batch). Never carries a stack trace.
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record Problem(String type, String title, int status, String detail, String code, String field,
        List<FieldError> errors) {

    public static final String MEDIA_TYPE = "application/problem+json";
    static final String TYPE_BASE = "https://railyard.dev/problems/";
    /**
     * Seconds a client is asked to wait (Retry-After) before sending a 503'd request again, with the same
     * Idempotency-Key: long enough for a database failover or broker restart to make progress, short enough for a
     * payments client's own retry budget.
     */
    static final int RETRY_AFTER_SECONDS = 5;

    public static Problem of(int status, String code, String title, String detail, String field) {
        return new Problem(TYPE_BASE + code.replace('_', '-'), title, status, detail, code, field, List.of());
    }

    /** A dependency (the database) is unreachable: nothing was done, the same request may be sent again later. */
    public static Problem unavailable(String detail) {
        return of(503, "service_unavailable", "Service unavailable", detail, null);
    }

    /** The Retry-After header every 503 carries; none otherwise. */
    @JsonIgnore
    public String retryAfter() {
        return status == 503 ? String.valueOf(RETRY_AFTER_SECONDS) : null;
    }

    public Problem withErrors(List<FieldError> errors) {
        return new Problem(type, title, status, detail, code, field, List.copyOf(errors));
    }

    /** One fault in a list: where ({@code index} / {@code line} for batch items), which field, why. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record FieldError(Integer index, Integer line, String field, String code, String reason) {
    }
}
