package io.railyard.transfer;

import io.railyard.ledger.CurrencyCode;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/** A transfer as stored. Amounts in minor units of their currency. */
public record Transfer(UUID id, UUID partnerId, TransferStatus status, Protocol protocol, CurrencyCode sourceCurrency,
        long sourceAmountMinor, CurrencyCode destinationCurrency, long destinationAmountMinor, String destinationCountry,
        Map<String, Object> beneficiary, Map<String, Object> protocolMetadata, Map<String, Object> metadata,
        String reference, Map<String, Object> quote, String rail, String fallbackRail, String routingReason,
        String railReference, String failureCode, String failureReason, Instant releaseAt, UUID batchId,
        Instant createdAt, Instant updatedAt) {
}
