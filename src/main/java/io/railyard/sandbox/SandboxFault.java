package io.railyard.sandbox;

/** An injected transport fault: the rail answers with a bare 5xx, as a gateway in trouble would. */
final class SandboxFault extends RuntimeException {

    private final int status;

    private SandboxFault(int status, String message) {
        super(message, null, false, false);
        this.status = status;
    }

    static SandboxFault unavailable(String rail) {
        return new SandboxFault(503, rail + " is unavailable (sandbox error_rate)");
    }

    /** The payout was executed; only the answer is lost. */
    static SandboxFault confirmationLost(String rail) {
        return new SandboxFault(500, rail + " internal error (sandbox lose_confirmation_rate)");
    }

    int status() {
        return status;
    }
}
