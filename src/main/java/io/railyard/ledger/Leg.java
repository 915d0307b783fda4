package io.railyard.ledger;

/** One side of a journal entry: a signed amount in the account's minor units (credit +, debit −). */
public record Leg(AccountKey account, long amountMinor) {

    public static Leg of(AccountKey account, long amountMinor) {
        return new Leg(account, amountMinor);
    }
}
