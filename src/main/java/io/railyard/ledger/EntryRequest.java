package io.railyard.ledger;

import java.util.ArrayList;
import java.util.List;

/**
 * A journal entry to post. {@code kind} + {@code reference} identify the business event (e.g. {@code transfer.hold} +
 * transfer id): posting the same pair twice moves money once.
 */
public record EntryRequest(String kind, String reference, String description, List<Leg> legs) {

    public EntryRequest {
        legs = List.copyOf(legs);
    }

    /** A transfer of {@code amountMinor} from one account to another of the same currency. */
    public static EntryRequest move(String kind, String reference, AccountKey from, AccountKey to, long amountMinor) {
        return new EntryRequest(kind, reference, null, List.of(Leg.of(from, -amountMinor), Leg.of(to, amountMinor)));
    }

    public static Builder builder(String kind, String reference) {
        return new Builder(kind, reference);
    }

    public static final class Builder {
        private final String kind;
        private final String reference;
        private String description;
        private final List<Leg> legs = new ArrayList<>();

        private Builder(String kind, String reference) {
            this.kind = kind;
            this.reference = reference;
        }

        public Builder description(String description) {
            this.description = description;
            return this;
        }

        public Builder move(AccountKey from, AccountKey to, long amountMinor) {
            legs.add(Leg.of(from, -amountMinor));
            legs.add(Leg.of(to, amountMinor));
            return this;
        }

        public Builder leg(AccountKey account, long amountMinor) {
            legs.add(Leg.of(account, amountMinor));
            return this;
        }

        public EntryRequest build() {
            return new EntryRequest(kind, reference, description, legs);
        }
    }
}
