package io.railyard.reconciliation;

import java.time.Instant;
import java.util.UUID;

/**
 * One line of a rail's statement, normalised: what the connector's statement route mapped from the rail's own record
 * ({@code raw}, kept as is). {@code outcome} is the rail status through the connector's status map (UNKNOWN when the
 * map lacks it); {@code transferId} is the idempotency key the rail echoed, when it is a transfer id.
 */
public record StatementLine(String railReference, String transferKey, UUID transferId, String reference,
        Long amountMinor, String currency, String railStatus, String outcome, Instant occurredAt, Instant returnedAt,
        String raw) {
}
