package io.railyard.routing;

import io.railyard.transfer.Transfer;
import java.math.BigDecimal;
import java.util.Objects;

/** One line of {@code config/routing.yaml}: when {@link Match} fits a transfer, {@code rail} settles it. */
public record RoutingRule(String name, Match match, String rail, String fallback) {

    public record Match(String currency, String country, String network, String protocol, String partner,
            BigDecimal minAmount, BigDecimal maxAmount) {

        static final Match ANY = new Match(null, null, null, null, null, null, null);

        boolean fits(Transfer transfer) {
            BigDecimal amount = transfer.destinationCurrency().fromMinor(transfer.destinationAmountMinor());
            return (currency == null || currency.equals(transfer.destinationCurrency().name()))
                    && (country == null || country.equals(transfer.destinationCountry()))
                    && (network == null || network.equals(transfer.beneficiary().get("network")))
                    && (protocol == null || protocol.equals(transfer.protocol().code()))
                    && (partner == null || partner.equals(transfer.partnerId().toString()))
                    && (minAmount == null || amount.compareTo(minAmount) >= 0)
                    && (maxAmount == null || amount.compareTo(maxAmount) <= 0);
        }
    }

    boolean fits(Transfer transfer) {
        return Objects.requireNonNullElse(match, Match.ANY).fits(transfer);
    }
}
