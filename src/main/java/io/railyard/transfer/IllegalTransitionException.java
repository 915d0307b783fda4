package io.railyard.transfer;

import java.util.UUID;

/** A status change the state machine does not allow. Nothing was written. */
public class IllegalTransitionException extends RuntimeException {

    private final TransferStatus from;
    private final TransferStatus to;

    public IllegalTransitionException(UUID id, TransferStatus from, TransferStatus to) {
        super("transfer " + id + " cannot move from " + from + " to " + to);
        this.from = from;
        this.to = to;
    }

    public TransferStatus from() {
        return from;
    }

    public TransferStatus to() {
        return to;
    }
}
