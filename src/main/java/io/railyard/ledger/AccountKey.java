package io.railyard.ledger;

import java.util.Comparator;
import java.util.Objects;

/** The natural identity of a ledger account: one account per owner, currency and kind. */
public record AccountKey(OwnerType ownerType, String ownerId, CurrencyCode currency, AccountKind kind)
        implements Comparable<AccountKey> {

    private static final Comparator<AccountKey> ORDER = Comparator.comparing(AccountKey::ownerType)
            .thenComparing(AccountKey::ownerId).thenComparing(AccountKey::currency).thenComparing(AccountKey::kind);

    public AccountKey {
        Objects.requireNonNull(ownerType);
        Objects.requireNonNull(ownerId);
        Objects.requireNonNull(currency);
        Objects.requireNonNull(kind);
    }

    public static AccountKey partner(String partnerId, CurrencyCode currency, AccountKind kind) {
        return new AccountKey(OwnerType.PARTNER, partnerId, currency, kind);
    }

    public static AccountKey rail(String rail, CurrencyCode currency, AccountKind kind) {
        return new AccountKey(OwnerType.RAIL, rail, currency, kind);
    }

    public static AccountKey house(CurrencyCode currency, AccountKind kind) {
        return new AccountKey(OwnerType.HOUSE, "house", currency, kind);
    }

    @Override
    public int compareTo(AccountKey other) {
        return ORDER.compare(this, other);
    }

    @Override
    public String toString() {
        return ownerType + ":" + ownerId + ":" + currency + ":" + kind;
    }
}
