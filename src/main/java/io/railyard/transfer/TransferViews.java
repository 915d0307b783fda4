package io.railyard.transfer;

import java.util.LinkedHashMap;
import java.util.Map;

/** The public JSON shape of a transfer: in API responses, event payloads, webhooks and rail instructions alike. */
public final class TransferViews {

    private TransferViews() {
    }

    public static Map<String, Object> of(Transfer t) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("id", t.id().toString());
        view.put("object", "transfer");
        view.put("partner_id", t.partnerId().toString());
        view.put("status", t.status().name());
        view.put("protocol", t.protocol().code());
        view.put("amount", t.sourceCurrency().fromMinor(t.sourceAmountMinor()).toPlainString());
        view.put("currency", t.sourceCurrency().name());
        Map<String, Object> destination = new LinkedHashMap<>(t.beneficiary());
        destination.put("currency", t.destinationCurrency().name());
        destination.put("amount", t.destinationCurrency().fromMinor(t.destinationAmountMinor()).toPlainString());
        if (t.destinationCountry() != null) {
            destination.put("country", t.destinationCountry());
        }
        view.put("destination", destination);
        view.put("reference", t.reference());
        putIfPresent(view, "protocol_metadata", t.protocolMetadata());
        putIfPresent(view, "metadata", t.metadata());
        putIfPresent(view, "quote", t.quote());
        putIfPresent(view, "rail", t.rail());
        putIfPresent(view, "fallback_rail", t.fallbackRail());
        putIfPresent(view, "routing_reason", t.routingReason());
        putIfPresent(view, "rail_reference", t.railReference());
        if (t.failureCode() != null) {
            view.put("failure", Map.of("code", t.failureCode(), "reason", String.valueOf(t.failureReason())));
        }
        putIfPresent(view, "batch_id", t.batchId() == null ? null : t.batchId().toString());
        putIfPresent(view, "release_at", t.releaseAt() == null ? null : t.releaseAt().toString());
        view.put("created_at", t.createdAt().toString());
        view.put("updated_at", t.updatedAt().toString());
        return view;
    }

    private static void putIfPresent(Map<String, Object> view, String key, Object value) {
        if (value != null) {
            view.put(key, value);
        }
    }
}
