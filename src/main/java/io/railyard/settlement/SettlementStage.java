package io.railyard.settlement;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.railyard.connector.ConnectorRegistry;
import io.railyard.ledger.AccountKey;
import io.railyard.ledger.AccountKind;
import io.railyard.ledger.EntryRequest;
import io.railyard.outbox.PolledBatches;
import io.railyard.refund.Refunds;
import io.railyard.routing.TransferRouter;
import io.railyard.transfer.Transfer;
import io.railyard.transfer.TransferEntries;
import io.railyard.transfer.TransferStatus;
import io.railyard.transfer.Transfers;
import java.io.IOException;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * The only stage that turns rail outcomes into money movements. Consumes {@code railyard.settlement.result.v1} (route
 * {@code settlement.result.apply}, a poll's results at a time: {@link #applyPolled}); each result is applied once (its
 * id is recorded in the same transaction):
 * <ul>
 * <li>SETTLED: in flight → the rail's settlement account (through FX clearing when currencies differ);</li>
 * <li>FAILED, or RETURNED before settlement: the hold goes back to the partner; unless the rail refused with a failure
 * code its connector lists under {@code reroute-on} and the transfer has a fallback rail it has not tried: then it is
 * rerouted there (SUBMITTED → ROUTED, the hold kept, the refused attempt kept in {@code transfer_reroutes});</li>
 * <li>RETURNED after settlement (a late return): what is not refunded yet is reversed back to the partner, recorded as a
 * RETURN with the rail's reference ({@link Refunds#recordReturn}); a result with {@code returned_amount} (a rail that
 * returns in part) reverses only the part not recorded yet;</li>
 * <li>a result for a refund ({@code refund_id}): handed to {@link Refunds#apply};</li>
 * <li>PENDING: nothing moves, the recheck sweep asks again; UNKNOWN: nothing moves, flagged for review.</li>
 * </ul>
 * <p>A result from a rail the transfer is no longer on (the rail it was rerouted from) moves nothing; anything but the
 * refusal itself is flagged for review.</p>
 */
@Component("settlementStage")
public class SettlementStage {

    private static final Logger log = LoggerFactory.getLogger(SettlementStage.class);

    private final Transfers transfers;
    private final JdbcClient jdbc;
    private final ObjectMapper json;
    private final Refunds refunds;
    private final ConnectorRegistry connectors;
    private final TransferRouter router;
    private final Duration watchFor;
    private final Duration watchInterval;
    private final PolledBatches polled;

    public SettlementStage(Transfers transfers, JdbcClient jdbc, ObjectMapper json, Refunds refunds,
            ConnectorRegistry connectors, TransferRouter router, PolledBatches polled,
            @Value("${railyard.returns.watch-for:PT15M}") Duration watchFor,
            @Value("${railyard.returns.watch-interval:PT30S}") Duration watchInterval) {
        this.transfers = transfers;
        this.jdbc = jdbc;
        this.json = json;
        this.refunds = refunds;
        this.connectors = connectors;
        this.router = router;
        this.watchFor = watchFor;
        this.watchInterval = watchInterval;
        this.polled = polled;
    }

    /**
     * A poll's results, in order. Consecutive results that settle, fail, reroute or only update transfers are applied
     * together, in one transaction whose postings are made at its end ({@link PolledBatches#apply}; a run that fails
     * is applied again one result at a time). A result whose application posts as it goes (a refund's, a return) is
     * applied alone, between runs.
     */
    public void applyPolled(List<Exchange> records) {
        List<JsonNode> run = new ArrayList<>();
        for (Exchange record : records) {
            JsonNode result = parse(record.getMessage().getBody(String.class));
            if (result == null) {
                continue;
            }
            if (postsAsItGoes(result)) {
                applyTogether(run);
                run.clear();
                applyTogether(List.of(result));
            } else {
                run.add(result);
            }
        }
        applyTogether(run);
    }

    private void applyTogether(List<JsonNode> run) {
        polled.apply(run, results -> {
            Map<UUID, Transfer> read = transfers.findAll(results.stream().map(SettlementStage::transferId).toList());
            return (result, post) -> {
                UUID id = transferId(result);
                // a transfer's first result uses what was read; a second one reads it again, as the first changed it
                Transfer transfer = read.containsKey(id) ? read.remove(id) : transfers.find(id).orElse(null);
                apply(result, transfer, post);
            };
        }, result -> "Settlement result " + result.path("result_id").asText());
    }

    private JsonNode parse(String message) {
        try {
            return json.readTree(message);
        } catch (IOException e) {
            log.error("A settlement result that is not JSON was skipped: {}", e.getMessage());
            return null;
        }
    }

    /** A refund's result and a return go through {@link Refunds}, which posts as it goes. */
    private static boolean postsAsItGoes(JsonNode result) {
        return text(result, "refund_id") != null || text(result, "returned_amount") != null
                || "RETURNED".equals(result.path("outcome").asText());
    }

    private static UUID transferId(JsonNode result) {
        return UUID.fromString(result.path("transfer_id").asText());
    }

    /**
     * {@code transfer}: the result's, as it is now, null if unknown; {@code post}: the ledger's, or a collector whose
     * entries are posted at the end of the transaction.
     */
    private void apply(JsonNode result, Transfer transfer, Consumer<EntryRequest> post) {
        String resultId = result.path("result_id").asText();
        UUID id = transferId(result);
        String outcome = result.path("outcome").asText();
        String railStatus = text(result, "rail_status");
        String reference = text(result, "rail_reference");
        if (transfer == null) {
            log.error("Settlement result {} names an unknown transfer", resultId);
            return;
        }
        String rail = text(result, "rail");
        if (rail != null && !rail.equals(transfer.rail())) {
            if (!"FAILED".equals(outcome) && !"PENDING".equals(outcome)) {
                log.error("Transfer {} is on {} now, but {} reported it {} ({}): left for review", id, transfer.rail(),
                        rail, outcome, railStatus);
                flag(transfer);
            }
            return;
        }
        if (!"PENDING".equals(outcome) && !record(resultId, transfer, outcome, railStatus, reference)) {
            return; // a duplicated confirmation: applied before
        }
        String refundId = text(result, "refund_id");
        if (refundId != null) {
            refunds.apply(UUID.fromString(refundId), outcome, railStatus, reference, text(result, "failure_code"),
                    text(result, "failure_reason"), result.hasNonNull("rail_details")
                            ? result.get("rail_details").toString() : null);
            return;
        }
        String returned = text(result, "returned_amount");
        if (!"SETTLED".equals(outcome) || returned != null) {
            noteRailStatus(transfer, railStatus, reference); // a settling transfer's own move notes it
        }
        if (returned != null && "SETTLED".equals(outcome)) {
            if (transfer.status() == TransferStatus.SUBMITTED) { // settled, and part already came back
                settle(transfer, railStatus, reference, result.hasNonNull("settlement_batch_id"), post);
                transfer = transfers.require(id);
            }
            if (transfer.status() == TransferStatus.SETTLED) {
                returnedInPart(transfer, returned, railStatus, reference, text(result, "failure_code"),
                        text(result, "failure_reason"));
            }
            return;
        }
        switch (outcome) {
            case "SETTLED" -> settle(transfer, railStatus, reference, result.hasNonNull("settlement_batch_id"), post);
            case "FAILED" -> fail(transfer, text(result, "failure_code"), text(result, "failure_reason"), reference,
                    post);
            case "RETURNED" -> giveBack(transfer, railStatus, reference, text(result, "failure_code"),
                    text(result, "failure_reason"), post);
            case "PENDING" -> { } // the recheck sweep asks again
            default -> {
                jdbc.sql("update transfers set needs_review = true where id = ?").param(id).update();
                log.warn("Transfer {}: {} reported status '{}' its connector does not map: left for reconciliation",
                        id, transfer.rail(), railStatus);
            }
        }
    }

    private boolean record(String resultId, Transfer transfer, String outcome, String railStatus, String reference) {
        return jdbc.sql("""
                insert into settlement_results (result_id, transfer_id, rail, outcome, rail_status, rail_reference, applied)
                values (?, ?, ?, ?, ?, ?, true) on conflict (result_id) do nothing""")
                .params(resultId, transfer.id(), String.valueOf(transfer.rail()), outcome, railStatus, reference)
                .update() == 1;
    }

    private void settle(Transfer transfer, String railStatus, String reference, boolean batched,
            Consumer<EntryRequest> post) {
        if (!transfer.status().canMoveTo(TransferStatus.SETTLED)) {
            log.warn("Transfer {} is {}: a SETTLED result from {} is not applied", transfer.id(), transfer.status(),
                    transfer.rail());
            noteRailStatus(transfer, railStatus, reference);
            flag(transfer);
            return;
        }
        // a rail that can return a settled payout is watched for a late return (RailGate asks it again, with backoff);
        // not a line of a settlement batch: asking again per transfer would be a payout of its own (its batch is
        // watched instead, SettlementBatches#dueForReturnWatch)
        boolean watch = !batched && watchFor.compareTo(Duration.ZERO) > 0 && connectors.returns(transfer.rail());
        transfers.settle(transfer.id(), "settled on " + transfer.rail(), railStatus, reference, watchInterval,
                watch ? watchFor : null);
        post.accept(TransferEntries.settlement("transfer.settle", transfer));
    }

    private void noteRailStatus(Transfer transfer, String railStatus, String reference) {
        jdbc.sql("update transfers set rail_status = ?, rail_reference = coalesce(?, rail_reference) where id = ?")
                .params(railStatus, reference, transfer.id()).update();
    }

    private void fail(Transfer transfer, String code, String reason, String reference, Consumer<EntryRequest> post) {
        if (!transfer.status().canMoveTo(TransferStatus.FAILED)) {
            flag(transfer);
            return;
        }
        if (reroutable(transfer, code)) {
            reroute(transfer, code, reason, reference);
            return;
        }
        transfers.transition(transfer.id(), TransferStatus.FAILED, "failed on " + transfer.rail(),
                Transfers.Changes.failure(code == null ? "rail_failed" : code, reason), null);
        release(transfer, post);
    }

    /** The rail says how much of the settled payout it has given back so far: each new part is returned once. */
    private void returnedInPart(Transfer transfer, String returned, String railStatus, String reference, String code,
            String reason) {
        long returnedSoFar;
        try {
            returnedSoFar = transfer.destinationCurrency().toMinor(new BigDecimal(returned));
        } catch (IllegalArgumentException | ArithmeticException e) {
            log.warn("Transfer {}: {} reports a returned amount '{}' that is not an amount of {}: left for review",
                    transfer.id(), transfer.rail(), returned, transfer.destinationCurrency());
            flag(transfer);
            return;
        }
        if (!refunds.recordReturn(transfer, returnedSoFar, railStatus, reference, code, reason)) {
            flag(transfer);
        }
    }

    /** A refusal the rail's connector declares reroutable, on a transfer with a fallback rail it has not been on. */
    private boolean reroutable(Transfer transfer, String code) {
        return transfer.status() == TransferStatus.SUBMITTED && connectors.fallbackOf(transfer).isPresent()
                && connectors.reroutes(transfer.rail(), code);
    }

    /** The rail never paid: the hold stays in flight and the transfer goes on to its fallback rail. */
    private void reroute(Transfer transfer, String code, String reason, String reference) {
        String fallback = transfer.fallbackRail();
        jdbc.sql("""
                insert into transfer_reroutes (transfer_id, from_rail, to_rail, failure_code, failure_reason,
                    rail_reference, submitted_at)
                select ?, ?, ?, ?, ?, ?, max(at) from transfer_transitions where transfer_id = ? and to_status = 'SUBMITTED'""")
                .params(transfer.id(), transfer.rail(), fallback, code, reason, reference, transfer.id()).update();
        // the fallback rail starts afresh: no reference, status or recheck schedule of the refusing rail carries over
        jdbc.sql("update transfers set rail_reference = null, rail_status = null, next_attempt_at = null, attempts = 0 "
                + "where id = ?").param(transfer.id()).update();
        String why = "rerouted to " + fallback + ": " + transfer.rail() + " refused it (" + code + ")";
        router.reroute(transfer, fallback, why);
        log.info("Transfer {}: {}", transfer.id(), why);
    }

    private void giveBack(Transfer transfer, String railStatus, String reference, String code, String reason,
            Consumer<EntryRequest> post) {
        if (!transfer.status().canMoveTo(TransferStatus.RETURNED)) {
            flag(transfer);
            return;
        }
        if (transfer.status() == TransferStatus.SETTLED) {
            if (!refunds.recordReturn(transfer, null, railStatus, reference, code, reason)) {
                flag(transfer);
            }
            return;
        }
        transfers.transition(transfer.id(), TransferStatus.RETURNED, "returned by " + transfer.rail(),
                Transfers.Changes.failure(code == null ? "returned" : code, reason), null);
        release(transfer, post);
    }

    private void release(Transfer transfer, Consumer<EntryRequest> post) {
        jdbc.sql("update transfers set next_attempt_at = null where id = ?").param(transfer.id()).update();
        post.accept(EntryRequest.move("transfer.release", transfer.id().toString(),
                partner(transfer, AccountKind.IN_FLIGHT), partner(transfer, AccountKind.AVAILABLE),
                transfer.sourceAmountMinor()));
    }

    private static AccountKey partner(Transfer t, AccountKind kind) {
        return AccountKey.partner(t.partnerId().toString(), t.sourceCurrency(), kind);
    }

    private void flag(Transfer transfer) {
        jdbc.sql("update transfers set needs_review = true where id = ?").param(transfer.id()).update();
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? null : value.asText();
    }
}
