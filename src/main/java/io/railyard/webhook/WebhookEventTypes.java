package io.railyard.webhook;

import io.railyard.api.ApiProblem;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The events partners can subscribe to: the outbox event types that are part of the public API. Other outbox events
 * (internal ones) are never delivered. A filter entry is an exact type, a family ({@code transfer.*}) or {@code *};
 * an empty filter means every type.
 */
public final class WebhookEventTypes {

    /** Sent by "send a test event"; never produced by the outbox. */
    public static final String TEST = "webhook.test";

    /** The public event types, in documentation order. */
    public static final List<String> ALL = List.of(
            "transfer.accepted", "transfer.routed", "transfer.queued", "transfer.submitted", "transfer.settled",
            "transfer.failed", "transfer.returned", "transfer.partially_returned", "transfer.cancelled",
            "refund.succeeded", "refund.failed",
            "batch.completed",
            "reconciliation.discrepancy",
            "treasury.float_low", "treasury.float_restored",
            TEST);

    private static final Set<String> TYPES = Set.copyOf(ALL);
    private static final Set<String> FAMILIES = families();

    private WebhookEventTypes() {
    }

    /** Whether an outbox event of this type is delivered to partners at all. */
    public static boolean isPublic(String type) {
        return TYPES.contains(type);
    }

    /** Whether an endpoint with this filter receives events of this type. */
    public static boolean matches(List<String> filter, String type) {
        if (filter == null || filter.isEmpty()) {
            return true;
        }
        for (String entry : filter) {
            if (entry.equals("*") || entry.equals(type)
                    || (entry.endsWith(".*") && type.startsWith(entry.substring(0, entry.length() - 1)))) {
                return true;
            }
        }
        return false;
    }

    /** Validates and normalises a filter (deduplicated, order kept); 422 naming the offending entry. */
    public static List<String> validate(List<String> filter) {
        if (filter == null) {
            return List.of();
        }
        if (filter.size() > 50) {
            throw ApiProblem.invalid("event_types", "at most 50 entries");
        }
        Set<String> normalised = new LinkedHashSet<>();
        for (int i = 0; i < filter.size(); i++) {
            String entry = filter.get(i);
            boolean known = entry != null && (entry.equals("*") || TYPES.contains(entry)
                    || (entry.endsWith(".*") && FAMILIES.contains(entry.substring(0, entry.length() - 2))));
            if (!known) {
                throw ApiProblem.invalid("event_types[" + i + "]", "'" + entry + "' is not an event type: one of "
                        + ALL + ", a family such as transfer.*, or *");
            }
            normalised.add(entry);
        }
        return new ArrayList<>(normalised);
    }

    private static Set<String> families() {
        Set<String> families = new TreeSet<>();
        for (String type : ALL) {
            families.add(type.substring(0, type.indexOf('.')));
        }
        return Set.copyOf(families);
    }
}
