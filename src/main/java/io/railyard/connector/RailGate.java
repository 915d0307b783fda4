package io.railyard.connector;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.railyard.refund.Refund;
import io.railyard.refund.RefundViews;
import io.railyard.refund.Refunds;
import io.railyard.routing.TransferRouter;
import io.railyard.transfer.Transfer;
import io.railyard.transfer.TransferStatus;
import io.railyard.transfer.TransferViews;
import io.railyard.transfer.Transfers;
import java.io.IOException;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.support.DefaultMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;

/**
 * What every connector route does around its rail call, so connector YAML holds only the rail's own mapping:
 * <ul>
 * <li>{@link #claim}: ROUTED → SUBMITTED before the rail is called (a cancelled or already-submitted transfer is
 * skipped), exposing the transfer to the mapping as exchange properties;</li>
 * <li>{@link #result}: the settlement result message from the rail's status, via the connector's status map;</li>
 * <li>{@link #unavailable}: the circuit breaker's fallback: a transfer never sent waits (QUEUED) or moves to its
 * fallback rail; one sent without an answer is asked again later with the same idempotency key.</li>
 * <li>{@link #claimRefund}: the same for a refund instruction (PENDING → SUBMITTED, idempotency key = refund id); the
 * result and classification then use the connector's {@code refund-statuses}.</li>
 * </ul>
 * A settled transfer on a rail that can return is asked again, with backoff, during {@code railyard.returns.watch-for}
 * after settling, so a late return (SPEI Devuelta, Pix DEVOLVIDO, Circle transaction_returned) arrives through the
 * same connector route as the settlement did.
 */
@Component("railGate")
public class RailGate {

    public static final String RESULTS_TOPIC = "railyard.settlement.result.v1";
    public static final String RECHECK_HEADER = "railyard-recheck";
    /** Set by {@link #claim}: the claimed transfer is settled, so this is a look for a late return. */
    private static final String WATCHING = "railyardWatching";
    private static final Logger log = LoggerFactory.getLogger(RailGate.class);

    private final Transfers transfers;
    private final Refunds refunds;
    private final ConnectorRegistry connectors;
    private final TransferRouter router;
    private final JdbcClient jdbc;
    private final ObjectMapper json;
    private final ProducerTemplate producer;
    private final RecheckPolicy recheckPolicy;
    private final Duration queueFor;
    private final Duration watchInterval;

    public RailGate(Transfers transfers, Refunds refunds, ConnectorRegistry connectors, TransferRouter router,
            JdbcClient jdbc, ObjectMapper json, ProducerTemplate producer, RecheckPolicy recheckPolicy,
            @Value("${railyard.settlement.queue-when-unavailable-for:PT30S}") Duration queueFor,
            @Value("${railyard.returns.watch-interval:PT30S}") Duration watchInterval) {
        this.transfers = transfers;
        this.refunds = refunds;
        this.watchInterval = watchInterval;
        this.connectors = connectors;
        this.router = router;
        this.jdbc = jdbc;
        this.json = json;
        this.producer = producer;
        this.recheckPolicy = recheckPolicy;
        this.queueFor = queueFor;
    }

    /**
     * Claims the instruction in the body for the rail named by the route ({@code railyardRail} property). Sets
     * {@code railyardClaimed}, and for the mapping: {@code railyardTransfer} (the transfer's public view as a map),
     * {@code railyardTransferId}, {@code railyardIdempotencyKey} (the transfer id), {@code railyardCompactKey} (the id
     * without dashes, for rails limiting key characters), {@code railyardAmount} (destination amount, plain decimal),
     * {@code railyardAmountMinor}, {@code railyardRailReference} (the rail's reference from an earlier attempt),
     * {@code railyardBeneficiaryJson} (the destination as a JSON object, ready to embed in a request).
     */
    @Transactional
    public void claim(Exchange exchange) throws IOException {
        String rail = exchange.getProperty("railyardRail", String.class);
        JsonNode data = json.readTree(exchange.getIn().getBody(String.class)).path("data");
        UUID id = UUID.fromString(data.path("id").asText());
        boolean recheck = exchange.getIn().getHeader(RECHECK_HEADER) != null;
        Transfer transfer = transfers.submit(id, rail, "submitted to " + rail, recheckPolicy.nextAttemptAt("0"))
                .orElse(null);
        boolean claimed = transfer != null;
        if (!claimed && recheck) { // asked again: one sent without a final answer, or a settled one watched for a return
            transfer = transfers.find(id).filter(t -> rail.equals(t.rail())).orElse(null);
            claimed = transfer != null && (transfer.status() == TransferStatus.SUBMITTED
                    || transfer.status() == TransferStatus.SETTLED);
        }
        exchange.setProperty("railyardClaimed", claimed);
        if (!claimed) {
            return;
        }
        exchange.setProperty(WATCHING, transfer.status() == TransferStatus.SETTLED);
        exchange.setProperty("railyardTransfer", TransferViews.of(transfer));
        exchange.setProperty("railyardTransferId", id.toString());
        exchange.setProperty("railyardIdempotencyKey", id.toString());
        exchange.setProperty("railyardCompactKey", id.toString().replace("-", ""));
        exchange.setProperty("railyardAmount",
                transfer.destinationCurrency().fromMinor(transfer.destinationAmountMinor()).toPlainString());
        exchange.setProperty("railyardAmountMinor", transfer.destinationAmountMinor());
        exchange.setProperty("railyardRailReference", transfer.railReference());
        exchange.setProperty("railyardBeneficiaryJson", json.writeValueAsString(transfer.beneficiary()));
        readsAgain(exchange, "payout", rail);
    }

    /**
     * Claims the refund instruction in the body for the route's rail. Sets what {@link #claim} sets, for the refund:
     * {@code railyardRefundId}, {@code railyardRefund} (its public view), {@code railyardIdempotencyKey} and
     * {@code railyardCompactKey} (the refund id, with and without dashes), {@code railyardAmount} /
     * {@code railyardAmountMinor} (the refund's destination amount), {@code railyardOriginalReference} (the original
     * payout's rail reference: Pix end-to-end id, SPEI claveRastreo, Circle payout id), {@code railyardRailReference}
     * (the refund's own reference from an earlier attempt), plus the transfer ({@code railyardTransfer},
     * {@code railyardTransferId}).
     */
    public void claimRefund(Exchange exchange) throws IOException {
        String rail = exchange.getProperty("railyardRail", String.class);
        UUID id = UUID.fromString(json.readTree(exchange.getIn().getBody(String.class)).path("data").path("id")
                .asText());
        Refund refund = refunds.claim(id, rail, exchange.getIn().getHeader(RECHECK_HEADER) != null).orElse(null);
        exchange.setProperty("railyardClaimed", refund != null);
        if (refund == null) {
            return;
        }
        Transfer transfer = transfers.require(refund.transferId());
        exchange.setProperty("railyardRefundId", id.toString());
        exchange.setProperty("railyardRefund", RefundViews.of(refund));
        exchange.setProperty("railyardTransfer", TransferViews.of(transfer));
        exchange.setProperty("railyardTransferId", transfer.id().toString());
        exchange.setProperty("railyardIdempotencyKey", id.toString());
        exchange.setProperty("railyardCompactKey", id.toString().replace("-", ""));
        exchange.setProperty("railyardAmount",
                refund.destinationCurrency().fromMinor(refund.destinationAmountMinor()).toPlainString());
        exchange.setProperty("railyardAmountMinor", refund.destinationAmountMinor());
        exchange.setProperty("railyardOriginalReference", transfer.railReference());
        exchange.setProperty("railyardRailReference", refund.railReference());
        readsAgain(exchange, "refund", rail);
    }

    /**
     * How rail.status-reads (routes/rail-status.camel.yaml) reads a pending answer of the {@code flow} again: through
     * the connector's status read ({@code railyardStatusRead}), every {@code poll-interval-ms}
     * ({@code railyardPollInterval}), as long as {@link #classify} says so.
     */
    private void readsAgain(Exchange exchange, String flow, String rail) {
        exchange.setProperty("railyardStatusRead", "direct:" + flow + "." + rail + ".get-status");
        exchange.setProperty("railyardPollInterval", connectors.pollIntervalMs(rail));
    }

    /**
     * Turns the rail's answer (properties {@code railyardRailStatus}, {@code railyardRailReference}, optional
     * {@code railyardFailureCode} / {@code railyardFailureReason}, and {@code railyardReturnedAmount}: how much of a
     * settled payout the rail has given back so far, for a rail that returns in part; ignored unless the payout stands,
     * SETTLED) into the settlement result message in the body; for a refund, {@code railyardRailDetails} (a map: what
     * the partner should know of it beyond its status) goes with it as {@code rail_details}. Sets
     * {@code railyardNews}: false when a look of the return watch found the payout as it was (settled, nothing
     * returned), so the connector sends nothing.
     */
    public void result(Exchange exchange) throws IOException {
        String rail = exchange.getProperty("railyardRail", String.class);
        String status = exchange.getProperty("railyardRailStatus", String.class);
        RailOutcome outcome = exchange.getProperty("railyardRejected", false, Boolean.class) ? RailOutcome.FAILED
                : outcome(exchange);
        String transferId = exchange.getProperty("railyardTransferId", String.class);
        String refundId = exchange.getProperty("railyardRefundId", String.class);
        String returned = exchange.getProperty("railyardReturnedAmount", String.class);
        Map<String, Object> result = resultMessage(rail, transferId, refundId, outcome, status,
                exchange.getProperty("railyardRailReference", String.class),
                exchange.getProperty("railyardFailureCode", String.class),
                exchange.getProperty("railyardFailureReason", String.class),
                // only a payout that stands has been returned in part; a whole return takes what is left
                outcome != RailOutcome.SETTLED || returned == null || returned.isBlank() ? null : returned);
        // a look of the return watch that finds the payout settled, nothing returned, tells the settlement stage nothing
        exchange.setProperty("railyardNews", !(exchange.getProperty(WATCHING, false, Boolean.class)
                && outcome == RailOutcome.SETTLED && result.get("returned_amount") == null));
        Object details = exchange.getProperty("railyardRailDetails");
        if (refundId != null && details != null) {
            result.put("rail_details", details);
        }
        exchange.getMessage().removeHeaders("*");
        exchange.getMessage().setHeader("kafka.KEY", transferId);
        exchange.getMessage().setBody(json.writeValueAsString(result));
    }

    /**
     * A settlement result message ({@link #RESULTS_TOPIC}) for a transfer, or a refund of it: its id names the outcome
     * (and how much the rail has returned so far, for a rail that returns in part), so a result delivered twice is
     * applied once.
     */
    public static Map<String, Object> resultMessage(String rail, String transferId, String refundId,
            RailOutcome outcome, String railStatus, String railReference, String failureCode, String failureReason,
            String returned) {
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("result_id", rail + ":" + (refundId == null ? transferId : "refund:" + refundId) + ":" + outcome
                + (returned == null ? "" : ":returned:" + returned));
        result.put("transfer_id", transferId);
        if (refundId != null) {
            result.put("refund_id", refundId);
        }
        result.put("rail", rail);
        result.put("outcome", outcome.name());
        result.put("rail_status", railStatus);
        result.put("rail_reference", railReference);
        result.put("failure_code", failureCode);
        result.put("failure_reason", failureReason);
        result.put("returned_amount", returned);
        result.put("observed_at", Instant.now().toString());
        return result;
    }

    /**
     * For a rail that lists a payout's returns one by one (Pix devoluções), what its connector sets as
     * {@code railyardReturnedAmount}: the sum of {@code amountField} over the {@code records} (the rail's list of
     * objects) that have every {@code field=value} of {@code where} (pairs joined by {@code ;}), as a plain decimal;
     * null when none has (nothing came back). An amount that is no decimal is answered as it is, so the settlement stage
     * flags the transfer for review rather than guessing.
     */
    public String sumReturned(List<?> records, String amountField, String where) {
        if (records == null) {
            return null;
        }
        Map<String, String> wanted = new LinkedHashMap<>();
        for (String pair : where.split(";")) {
            String[] fieldValue = pair.split("=", 2);
            wanted.put(fieldValue[0].trim(), fieldValue.length == 2 ? fieldValue[1].trim() : "");
        }
        BigDecimal sum = null;
        for (Object record : records) {
            if (!(record instanceof Map<?, ?> fields) || !wanted.entrySet().stream()
                    .allMatch(w -> w.getValue().equals(String.valueOf(fields.get(w.getKey()))))) {
                continue;
            }
            String amount = String.valueOf(fields.get(amountField));
            try {
                sum = (sum == null ? BigDecimal.ZERO : sum).add(new BigDecimal(amount.trim()));
            } catch (NumberFormatException e) {
                return amount;
            }
        }
        return sum == null ? null : sum.toPlainString();
    }

    /**
     * The outcome of the last status the rail reported ({@code railyardOutcome}), and whether a polling loop should
     * read the status again ({@code railyardPolling}: still pending after fewer reads than the connector's
     * {@code max-polls}).
     */
    public void classify(Exchange exchange) {
        RailOutcome outcome = outcome(exchange);
        int reads = exchange.getProperty("railyardReads", 0, Integer.class) + 1;
        exchange.setProperty("railyardReads", reads);
        exchange.setProperty("railyardOutcome", outcome.name());
        exchange.setProperty("railyardPolling", outcome == RailOutcome.PENDING
                && reads <= connectors.maxPolls(exchange.getProperty("railyardRail", String.class)));
    }

    /** The last status the rail reported, through the status map of the flow at hand (payout or refund). */
    private RailOutcome outcome(Exchange exchange) {
        String rail = exchange.getProperty("railyardRail", String.class);
        String status = exchange.getProperty("railyardRailStatus", String.class);
        return exchange.getProperty("railyardRefundId") != null ? connectors.refundOutcome(rail, status)
                : connectors.outcome(rail, status);
    }

    /** The circuit breaker's fallback: the rail is open-circuited or failed after its retries. */
    @Transactional
    public void unavailable(Exchange exchange) throws IOException {
        String rail = exchange.getProperty("railyardRail", String.class);
        String refundId = exchange.getProperty("railyardRefundId", String.class);
        if (refundId != null || (exchange.getProperty("railyardTransferId") == null && "refund".equals(json.readTree(
                exchange.getIn().getBody(String.class)).path("data").path("object").asText()))) {
            Throwable cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
            log.warn("Refund {} on {}: {}, asked again with the same idempotency key by the recheck sweep",
                    refundId != null ? refundId : "instruction", rail, cause == null ? "circuit open" : cause.toString());
            return;
        }
        String claimedId = exchange.getProperty("railyardTransferId", String.class);
        UUID id = UUID.fromString(claimedId != null ? claimedId   // sent: the body is the rail's answer by now
                : json.readTree(exchange.getIn().getBody(String.class)).path("data").path("id").asText());
        Transfer transfer = transfers.find(id).orElse(null);
        Throwable cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        String why = cause == null ? "circuit open" : cause.getClass().getSimpleName() + ": " + cause.getMessage();
        if (transfer == null) {
            return;
        }
        if (transfer.status() == TransferStatus.ROUTED && rail.equals(transfer.rail())) {
            Optional<String> fallback = connectors.fallbackOf(transfer);
            if (fallback.isPresent()) {
                router.reroute(transfers.transition(id, TransferStatus.QUEUED,
                        rail + " unavailable (" + why + "), rerouting", Transfers.Changes.NONE, null),
                        fallback.get(), "fallback from " + rail + ": " + why);
            } else {
                transfers.transition(id, TransferStatus.QUEUED, rail + " unavailable (" + why + ")",
                        new Transfers.Changes(null, null, null, null, null, null, Instant.now().plus(queueFor)), null);
            }
        } else if (transfer.status() == TransferStatus.SUBMITTED) {
            log.warn("Transfer {} on {}: no answer ({}), asking again with the same idempotency key later", id, rail,
                    why);
        }
    }

    /**
     * The recheck sweep: SUBMITTED transfers whose rail has not given a final answer are asked again (same idempotency
     * key: the rail answers with the payout it already has); after {@code max-attempts} they are left for review.
     */
    @Transactional
    public int recheckDue() {
        List<Map<String, Object>> due = jdbc.sql("""
                select id, rail from transfers where status = 'SUBMITTED' and next_attempt_at <= clock_timestamp()
                order by next_attempt_at limit 200 for update skip locked""").query().listOfRows();
        Map<String, List<UUID>> asks = new HashMap<>();
        for (Map<String, Object> transfer : due) {
            UUID id = (UUID) transfer.get("id");
            int attempts = recheckPolicy.countAttempt("transfers", id);
            if (recheckPolicy.exhausted(attempts)) {
                recheckPolicy.leaveForReview("transfers", id);
                log.warn("Transfer {} on {} has no final answer after {} attempts: left for reconciliation",
                        id, transfer.get("rail"), attempts);
                continue;
            }
            ask(asks, TransferRouter.instructionTopic((String) transfer.get("rail")), id);
        }
        recheck(asks, "transfer");
        return due.size() + watchReturns();
    }

    /**
     * Settled transfers still watched for a late return are asked again; the pause doubles (it is the time since
     * settlement, at least {@code railyard.returns.watch-interval}) until {@code railyard.returns.watch-for} is over.
     */
    private int watchReturns() {
        List<Map<String, Object>> due = jdbc.sql(takeDueReturnWatches("transfers", "settled_at",
                        "status = 'SETTLED'", 200) + " returning w.id, w.rail")
                .param(watchInterval.toMillis() / 1000.0).query().listOfRows();
        Map<String, List<UUID>> asks = new HashMap<>();
        due.forEach(transfer -> ask(asks, TransferRouter.instructionTopic((String) transfer.get("rail")),
                (UUID) transfer.get("id")));
        recheck(asks, "transfer");
        return due.size();
    }

    /**
     * Takes up to {@code limit} rows of {@code table} (aliased {@code w}) whose return watch is due and that match
     * {@code where}, skipping those another sweep holds, and sets each one's next look: after a pause that doubles (the
     * time since {@code since}, at least the interval: the statement's one parameter, in seconds), or none once the
     * watch is over. The caller appends the {@code returning} clause it needs.
     */
    public static String takeDueReturnWatches(String table, String since, String where, int limit) {
        return """
                with due as (
                    select id, greatest(make_interval(secs => ?), clock_timestamp() - %2$s) as pause from %1$s
                    where %3$s and return_watch_until is not null and next_attempt_at <= clock_timestamp()
                    order by next_attempt_at limit %4$d for update skip locked)
                update %1$s w set
                    next_attempt_at = case when w.return_watch_until > clock_timestamp() + due.pause
                        then clock_timestamp() + due.pause end,
                    return_watch_until = case when w.return_watch_until > clock_timestamp() + due.pause
                        then w.return_watch_until end
                from due where w.id = due.id""".formatted(table, since, where, limit);
    }

    /**
     * Refunds without a final answer from their rail (never sent because the circuit was open, or sent without a
     * final status) are asked again with the same idempotency key, with doubling backoff; after {@code max-attempts}
     * they are left for review, unless their rail awaits a return from the beneficiary: then its connector fails the
     * refund once the wait is over ({@link ConnectorRegistry#awaitsRefunds}).
     */
    @Transactional
    public int recheckRefundsDue() {
        List<Map<String, Object>> due = jdbc.sql("""
                select id, rail from refunds where status in ('PENDING', 'SUBMITTED')
                    and next_attempt_at <= clock_timestamp()
                order by next_attempt_at limit 200 for update skip locked""").query().listOfRows();
        Map<String, List<UUID>> asks = new HashMap<>();
        for (Map<String, Object> refund : due) {
            UUID id = (UUID) refund.get("id");
            int attempts = recheckPolicy.countAttempt("refunds", id);
            if (recheckPolicy.exhausted(attempts) && !connectors.awaitsRefunds((String) refund.get("rail"))) {
                recheckPolicy.leaveForReview("refunds", id);
                log.warn("Refund {} has no final answer after {} attempts: left for reconciliation", id, attempts);
                continue;
            }
            ask(asks, Refunds.instructionTopic((String) refund.get("rail")), id);
        }
        recheck(asks, "refund");
        return due.size();
    }

    private static void ask(Map<String, List<UUID>> asks, String topic, UUID id) {
        asks.computeIfAbsent(topic, t -> new ArrayList<>()).add(id);
    }

    /**
     * Sends each topic's instructions to ask again as one batch: Kafka acknowledges them together, so a sweep of
     * hundreds of looks waits for a few round trips, not one each (keyed by id, as every instruction).
     */
    private void recheck(Map<String, List<UUID>> asks, String object) {
        asks.forEach((topic, ids) -> producer.sendBody("kafka:" + topic + "?batchWithIndividualHeaders=true",
                ids.stream().map(id -> {
                    Message instruction = new DefaultMessage(producer.getCamelContext());
                    instruction.setBody("{\"data\":{\"id\":\"" + id + "\",\"object\":\"" + object + "\"}}");
                    instruction.setHeader(RECHECK_HEADER, "true");
                    instruction.setHeader(KafkaConstants.KEY, id.toString());
                    return instruction;
                }).toList()));
    }
}
