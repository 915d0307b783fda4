package io.railyard.transfer;

import io.railyard.ledger.AccountKey;
import io.railyard.ledger.AccountKind;
import io.railyard.ledger.EntryRequest;

/**
 * The journal entries of money crossing a rail for a transfer: the settlement (in flight → the rail's settlement
 * account) and its reversals (a refund or a return: the rail's settlement account → the partner's available balance).
 * A conversion passes through the house's FX clearing accounts at the transfer's own amounts, so each currency
 * balances on its own and a reversal undoes exactly what the settlement did.
 */
public final class TransferEntries {

    private TransferEntries() {
    }

    /** In flight → rail, the whole transfer. */
    public static EntryRequest settlement(String kind, Transfer t) {
        return entry(kind, t.id().toString(), "", t, t.sourceAmountMinor(), t.destinationAmountMinor(), 1);
    }

    /**
     * Rail → the partner's available balance: {@code sourceMinor} of the transfer's currency back to the partner for
     * {@code destinationMinor} of the destination currency taken from the rail's settlement account.
     */
    public static EntryRequest reversal(String kind, String reference, String description, Transfer t,
            long sourceMinor, long destinationMinor) {
        return entry(kind, reference, description, t, sourceMinor, destinationMinor, -1);
    }

    private static EntryRequest entry(String kind, String reference, String description, Transfer t, long source,
            long destination, int direction) {
        AccountKey partner = AccountKey.partner(t.partnerId().toString(), t.sourceCurrency(),
                direction > 0 ? AccountKind.IN_FLIGHT : AccountKind.AVAILABLE);
        AccountKey rail = AccountKey.rail(t.rail(), t.destinationCurrency(), AccountKind.SETTLEMENT);
        EntryRequest.Builder entry = EntryRequest.builder(kind, reference)
                .description(kind + " " + t.id() + " on " + t.rail() + description);
        if (t.sourceCurrency() == t.destinationCurrency()) {
            return entry.leg(partner, -direction * source).leg(rail, direction * source).build();
        }
        return entry.leg(partner, -direction * source)
                .leg(AccountKey.house(t.sourceCurrency(), AccountKind.FX_CLEARING), direction * source)
                .leg(AccountKey.house(t.destinationCurrency(), AccountKind.FX_CLEARING), -direction * destination)
                .leg(rail, direction * destination).build();
    }
}
