package io.railyard.ledger;

import java.util.UUID;

/** The outcome of a posting: the entry's id, and whether this call created it or found it already posted. */
public record Posted(UUID entryId, boolean created) {
}
