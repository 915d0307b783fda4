package io.railyard.refund;

import io.railyard.ledger.CurrencyCode;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/**
 * A refund (asked by the partner) or a return (initiated by the rail) of a settled transfer, as stored. {@code amount}
 * is in the transfer's currency (what goes back to the partner), {@code destinationAmount} in the destination
 * currency (what the rail sends back); both in minor units. {@code railDetails}: what the rail's connector last told
 * about it beyond its status (null when nothing), e.g. where a Base refund's return is to be sent.
 */
public record Refund(UUID id, UUID transferId, UUID partnerId, Kind kind, RefundStatus status, String rail,
        CurrencyCode currency, long amountMinor, CurrencyCode destinationCurrency, long destinationAmountMinor,
        String reason, String railReference, String railStatus, String failureCode, String failureReason,
        Map<String, Object> railDetails, Instant createdAt, Instant updatedAt, Instant completedAt) {

    public enum Kind { REFUND, RETURN }
}
