package io.railyard.connector;

/**
 * What a rail status means to the hub. Every status a connector can see is mapped to one of these in its
 * {@code connector.yaml}; a status missing from the map is {@link #UNKNOWN} and goes to review, never guessed.
 */
public enum RailOutcome {
    PENDING, SETTLED, FAILED, RETURNED, UNKNOWN;

    /** The values a status map may use (UNKNOWN is what the absence of an entry means). */
    static boolean mappable(String value) {
        return value != null && !value.equals(UNKNOWN.name())
                && java.util.Arrays.stream(values()).anyMatch(o -> o.name().equals(value));
    }
}
