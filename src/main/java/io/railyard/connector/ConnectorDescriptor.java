package io.railyard.connector;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code connectors/<rail>/connector.yaml}: what a connector needs (typed, validated parameters) and how its rail's
 * statuses map to the hub's outcomes; {@code refundStatuses} (optional) how the statuses of a refund on the rail map to
 * PENDING | SETTLED (refunded) | FAILED. A rail without it has no refund flow: refunds of its transfers are refused.
 * {@code rerouteOn}: the failure codes with which this rail refuses a payout it never made, for a reason of its own
 * (its liquidity, its limits) rather than the beneficiary's: such a transfer moves to its fallback rail, if it has one.
 * {@code batches} (optional): the rail takes bulk payouts, so config/rails.yaml may batch it.
 */
public record ConnectorDescriptor(String rail, String description, List<String> currencies,
        Map<String, Parameter> parameters, Map<String, String> statuses, Map<String, String> refundStatuses,
        Set<String> rerouteOn, Batches batches) {

    /**
     * A parameter, set as {@code railyard.connectors.<rail>.<name>}. {@code secret} values are never logged;
     * {@code pattern} is a regular expression the whole value must match.
     */
    public record Parameter(String description, boolean required, String defaultValue, String pattern,
            boolean secret) {
    }

    /**
     * Bulk payouts: at most {@code maxLines} lines per request; {@code netting}: the rail accepts one line paying the
     * sum of several instructions to one beneficiary. Each line's status is read through {@code statuses}.
     */
    public record Batches(int maxLines, boolean netting) {
    }
}
