package io.railyard.ledger;

/** What an account holds. Partner money (available, in flight) and fees can never go negative. */
public enum AccountKind {
    /** A partner's spendable balance. */
    AVAILABLE(false),
    /** Funds held for transfers accepted but not yet final. */
    IN_FLIGHT(false),
    /** Money paid out through a rail (or the float pre-funded at it). */
    SETTLEMENT(true),
    /** Fees earned by the house. */
    FEES(false),
    /** Counter-account of currency conversions: one per currency, balanced by the FX desk. */
    FX_CLEARING(true),
    /** Where money enters the hub: partner deposits and treasury funding. */
    FUNDING(true);

    private final boolean negativeAllowed;

    AccountKind(boolean negativeAllowed) {
        this.negativeAllowed = negativeAllowed;
    }

    public boolean negativeAllowed() {
        return negativeAllowed;
    }
}
