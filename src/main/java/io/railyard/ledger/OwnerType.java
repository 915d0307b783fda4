package io.railyard.ledger;

/** Who an account belongs to. */
public enum OwnerType {
    PARTNER, RAIL, HOUSE
}
