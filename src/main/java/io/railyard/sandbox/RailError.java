package io.railyard.sandbox;

/** A request the simulated rail refuses; each rail renders it in its own error shape. Nothing was executed. */
final class RailError extends RuntimeException {

    enum Kind {
        UNAUTHORIZED(401), MALFORMED(400), INVALID(400), NOT_FOUND(404), KEY_REUSED(409), REFERENCE_TAKEN(409);

        final int status;

        Kind(int status) {
            this.status = status;
        }
    }

    private final Kind kind;
    private final String field;

    private RailError(Kind kind, String field, String message) {
        super(message, null, false, false);
        this.kind = kind;
        this.field = field;
    }

    static RailError unauthorized(String message) {
        return new RailError(Kind.UNAUTHORIZED, null, message);
    }

    static RailError malformed() {
        return new RailError(Kind.MALFORMED, null, "the body is not valid JSON");
    }

    static RailError invalid(String field, String reason) {
        return new RailError(Kind.INVALID, field, field + " " + reason);
    }

    static RailError notFound(String what) {
        return new RailError(Kind.NOT_FOUND, null, what + " not found");
    }

    static RailError keyReused(String key) {
        return new RailError(Kind.KEY_REUSED, null, "idempotency key " + key + " was used for a different payout");
    }

    static RailError referenceTaken(String reference) {
        return new RailError(Kind.REFERENCE_TAKEN, null, reference + " is already used by another payout");
    }

    Kind kind() {
        return kind;
    }

    int status() {
        return kind.status;
    }

    /** The request field at fault, when there is one. */
    String field() {
        return field;
    }
}
