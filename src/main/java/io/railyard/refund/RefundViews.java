package io.railyard.refund;

import java.util.LinkedHashMap;
import java.util.Map;

/** The public JSON shape of a refund: in API responses, events and webhooks alike. */
public final class RefundViews {

    private RefundViews() {
    }

    public static Map<String, Object> of(Refund r) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("id", r.id().toString());
        view.put("object", "refund");
        view.put("transfer_id", r.transferId().toString());
        view.put("partner_id", r.partnerId().toString());
        view.put("kind", r.kind().name());
        view.put("status", r.status().name());
        view.put("amount", r.currency().fromMinor(r.amountMinor()).toPlainString());
        view.put("currency", r.currency().name());
        view.put("destination_amount", r.destinationCurrency().fromMinor(r.destinationAmountMinor()).toPlainString());
        view.put("destination_currency", r.destinationCurrency().name());
        view.put("rail", r.rail());
        putIfPresent(view, "reason", r.reason());
        putIfPresent(view, "rail_reference", r.railReference());
        putIfPresent(view, "rail_status", r.railStatus());
        putIfPresent(view, "rail_details", r.railDetails());
        if (r.failureCode() != null) {
            view.put("failure", Map.of("code", r.failureCode(), "reason", String.valueOf(r.failureReason())));
        }
        view.put("created_at", r.createdAt().toString());
        view.put("updated_at", r.updatedAt().toString());
        putIfPresent(view, "completed_at", r.completedAt() == null ? null : r.completedAt().toString());
        return view;
    }

    private static void putIfPresent(Map<String, Object> view, String key, Object value) {
        if (value != null) {
            view.put(key, value);
        }
    }
}
