package io.railyard.connector;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.railyard.routing.TransferRouter;
import io.railyard.transfer.Transfer;
import io.railyard.transfer.TransferStatus;
import io.railyard.transfer.TransferViews;
import io.railyard.transfer.Transfers;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
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
 * </ul>
 */
@Component("railGate")
public class RailGate {

    public static final String RESULTS_TOPIC = "railyard.settlement.result.v1";
    public static final String RECHECK_HEADER = "railyard-recheck";
    private static final Logger log = LoggerFactory.getLogger(RailGate.class);

    private final Transfers transfers;
    private final ConnectorRegistry connectors;
    private final JdbcClient jdbc;
    private final ObjectMapper json;
    private final ProducerTemplate producer;
    private final Duration recheckAfter;
    private final Duration queueFor;
    private final int maxAttempts;

    public RailGate(Transfers transfers, ConnectorRegistry connectors, JdbcClient jdbc, ObjectMapper json,
            ProducerTemplate producer, @Value("${railyard.settlement.recheck-after:PT20S}") Duration recheckAfter,
            @Value("${railyard.settlement.queue-when-unavailable-for:PT30S}") Duration queueFor,
            @Value("${railyard.settlement.max-attempts:12}") int maxAttempts) {
        this.transfers = transfers;
        this.connectors = connectors;
        this.jdbc = jdbc;
        this.json = json;
        this.producer = producer;
        this.recheckAfter = recheckAfter;
        this.queueFor = queueFor;
        this.maxAttempts = maxAttempts;
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
        Transfer transfer = transfers.find(id).orElse(null);
        boolean claimed = false;
        if (transfer != null && rail.equals(transfer.rail())) {
            if (transfer.status() == TransferStatus.ROUTED) {
                transfer = transfers.transition(id, TransferStatus.SUBMITTED, "submitted to " + rail,
                        Transfers.Changes.NONE, null);
                scheduleRecheck(id, 1);
                claimed = true;
            } else {
                claimed = recheck && transfer.status() == TransferStatus.SUBMITTED;
            }
        }
        exchange.setProperty("railyardClaimed", claimed);
        if (!claimed) {
            return;
        }
        exchange.setProperty("railyardTransfer", TransferViews.of(transfer));
        exchange.setProperty("railyardTransferId", id.toString());
        exchange.setProperty("railyardIdempotencyKey", id.toString());
        exchange.setProperty("railyardCompactKey", id.toString().replace("-", ""));
        exchange.setProperty("railyardAmount",
                transfer.destinationCurrency().fromMinor(transfer.destinationAmountMinor()).toPlainString());
        exchange.setProperty("railyardAmountMinor", transfer.destinationAmountMinor());
        exchange.setProperty("railyardRailReference", transfer.railReference());
        exchange.setProperty("railyardBeneficiaryJson", json.writeValueAsString(transfer.beneficiary()));
    }

    /**
     * Turns the rail's answer (properties {@code railyardRailStatus}, {@code railyardRailReference}, optional
     * {@code railyardFailureCode} / {@code railyardFailureReason}) into the settlement result message in the body.
     */
    public void result(Exchange exchange) throws IOException {
        String rail = exchange.getProperty("railyardRail", String.class);
        String status = exchange.getProperty("railyardRailStatus", String.class);
        RailOutcome outcome = exchange.getProperty("railyardRejected", false, Boolean.class) ? RailOutcome.FAILED
                : connectors.outcome(rail, status);
        String transferId = exchange.getProperty("railyardTransferId", String.class);
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("result_id", rail + ":" + transferId + ":" + outcome);
        result.put("transfer_id", transferId);
        result.put("rail", rail);
        result.put("outcome", outcome.name());
        result.put("rail_status", status);
        result.put("rail_reference", exchange.getProperty("railyardRailReference", String.class));
        result.put("failure_code", exchange.getProperty("railyardFailureCode", String.class));
        result.put("failure_reason", exchange.getProperty("railyardFailureReason", String.class));
        result.put("observed_at", Instant.now().toString());
        exchange.getMessage().removeHeaders("*");
        exchange.getMessage().setHeader("kafka.KEY", transferId);
        exchange.getMessage().setBody(json.writeValueAsString(result));
    }

    /**
     * The outcome of the last status the rail reported ({@code railyardOutcome}), and whether a polling loop should
     * read the status again ({@code railyardPolling}: still pending and fewer than {@code railyardMaxPolls} reads).
     */
    public void classify(Exchange exchange) {
        RailOutcome outcome = connectors.outcome(exchange.getProperty("railyardRail", String.class),
                exchange.getProperty("railyardRailStatus", String.class));
        int reads = exchange.getProperty("railyardReads", 0, Integer.class) + 1;
        exchange.setProperty("railyardReads", reads);
        exchange.setProperty("railyardOutcome", outcome.name());
        exchange.setProperty("railyardPolling",
                outcome == RailOutcome.PENDING && reads <= exchange.getProperty("railyardMaxPolls", 20, Integer.class));
    }

    /** The circuit breaker's fallback: the rail is open-circuited or failed after its retries. */
    @Transactional
    public void unavailable(Exchange exchange) throws IOException {
        String rail = exchange.getProperty("railyardRail", String.class);
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
            if (transfer.fallbackRail() != null && connectors.find(transfer.fallbackRail()).isPresent()) {
                transfers.transition(id, TransferStatus.QUEUED, rail + " unavailable (" + why + "), rerouting",
                        Transfers.Changes.NONE, null);
                String reason = "fallback from " + rail + ": " + why;
                transfers.transition(id, TransferStatus.ROUTED, reason, new Transfers.Changes(transfer.fallbackRail(),
                        null, reason, null, null, null, null), TransferRouter.instructionTopic(transfer.fallbackRail()));
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
        List<Transfer> due = jdbc.sql("""
                select id from transfers where status = 'SUBMITTED' and next_attempt_at <= clock_timestamp()
                order by next_attempt_at limit 200 for update skip locked""")
                .query(UUID.class).list().stream().map(transfers::require).toList();
        for (Transfer transfer : due) {
            int attempts = jdbc.sql("update transfers set attempts = attempts + 1 where id = ? returning attempts")
                    .param(transfer.id()).query(Integer.class).single();
            if (attempts >= maxAttempts) {
                jdbc.sql("update transfers set next_attempt_at = null, needs_review = true where id = ?")
                        .param(transfer.id()).update();
                log.warn("Transfer {} on {} has no final answer after {} attempts: left for reconciliation",
                        transfer.id(), transfer.rail(), attempts);
                continue;
            }
            scheduleRecheck(transfer.id(), attempts);
            String instruction = "{\"data\":{\"id\":\"" + transfer.id() + "\"}}";
            producer.sendBodyAndHeaders("kafka:" + TransferRouter.instructionTopic(transfer.rail()), instruction,
                    Map.of(RECHECK_HEADER, "true", "kafka.KEY", transfer.id().toString()));
        }
        return due.size();
    }

    private void scheduleRecheck(UUID id, int attempt) {
        long delay = recheckAfter.toMillis() * (1L << Math.min(attempt - 1, 6));
        jdbc.sql("update transfers set next_attempt_at = clock_timestamp() + make_interval(secs => ?) where id = ?")
                .params(delay / 1000.0, id).update();
    }
}
