package io.railyard.refund;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.railyard.api.ApiProblem;
import io.railyard.connector.ConnectorRegistry;
import io.railyard.connector.RecheckPolicy;
import io.railyard.id.RowIds;
import io.railyard.ledger.CurrencyCode;
import io.railyard.ledger.Ledger;
import io.railyard.outbox.Outbox;
import io.railyard.transfer.Transfer;
import io.railyard.transfer.TransferEntries;
import io.railyard.transfer.TransferStatus;
import io.railyard.transfer.Transfers;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Refunds and returns of settled transfers. What remains refundable is kept on the transfer row
 * ({@code refunded_minor}: refunds and returns that have not failed), changed only under that row's lock and bounded
 * by a check constraint, so concurrent refunds can never take more than the transfer paid. Money moves only when the
 * rail confirms ({@code transfer.refund} entry per refund, {@code transfer.return} per return), each entry once.
 */
@Service
public class Refunds {

    public static final String EVENTS_TOPIC = "railyard.refund.events.v1";
    private static final Logger log = LoggerFactory.getLogger(Refunds.class);

    private final JdbcClient jdbc;
    private final Transfers transfers;
    private final Ledger ledger;
    private final Outbox outbox;
    private final ConnectorRegistry connectors;
    private final ObjectMapper json;
    private final RecheckPolicy recheckPolicy;

    public Refunds(JdbcClient jdbc, Transfers transfers, Ledger ledger, Outbox outbox, ConnectorRegistry connectors,
            ObjectMapper json, RecheckPolicy recheckPolicy) {
        this.jdbc = jdbc;
        this.transfers = transfers;
        this.ledger = ledger;
        this.outbox = outbox;
        this.connectors = connectors;
        this.json = json;
        this.recheckPolicy = recheckPolicy;
    }

    /** The Kafka topic a rail's connector takes refund instructions from. */
    public static String instructionTopic(String rail) {
        return "railyard.rail." + rail + ".refund.v1";
    }

    /**
     * Asks for a refund of a SETTLED transfer of this partner: {@code amount} (in the transfer's currency; null: all
     * that remains refundable) is reserved on the transfer and the instruction goes to the rail's connector through the
     * outbox, in one transaction. The refund's share of the destination amount is proportional, rounded down; the
     * refund taking the rest takes the exact rest of both.
     */
    @Transactional
    public Refund request(UUID partnerId, UUID transferId, BigDecimal amount, String reason) {
        if (reason != null && reason.length() > 140) {
            throw ApiProblem.invalid("reason", "at most 140 characters");
        }
        // the transfer's row lock serialises every refund of this transfer: the remaining amount read here is exact
        Optional<long[]> refunded = jdbc.sql("""
                select refunded_minor, refunded_destination_minor from transfers
                where id = ? and partner_id = ? for update""").params(transferId, partnerId)
                .query((rs, n) -> new long[] {rs.getLong(1), rs.getLong(2)}).optional();
        if (refunded.isEmpty()) {
            throw ApiProblem.notFound("transfer " + transferId);
        }
        Transfer transfer = transfers.require(transferId);
        if (transfer.status() != TransferStatus.SETTLED) {
            throw ApiProblem.conflict("not_refundable", "a " + transfer.status()
                    + " transfer cannot be refunded: only a SETTLED one can");
        }
        if (!connectors.refunds(transfer.rail())) {
            throw ApiProblem.unprocessable("refund_not_supported", "Refund not supported", "the rail "
                    + transfer.rail() + " has no refund flow (its connector declares no refund-statuses)", null);
        }
        CurrencyCode currency = transfer.sourceCurrency();
        long remaining = transfer.sourceAmountMinor() - refunded.get()[0];
        long remainingDestination = transfer.destinationAmountMinor() - refunded.get()[1];
        long amountMinor = amount == null ? remaining : minor(amount, currency);
        if (amountMinor > remaining || remaining == 0) {
            throw ApiProblem.unprocessable("refund_exceeds_refundable", "Refund exceeds what is refundable",
                    currency.fromMinor(remaining).toPlainString() + " " + currency + " of "
                            + currency.fromMinor(transfer.sourceAmountMinor()).toPlainString()
                            + " remains refundable", "amount");
        }
        long destinationMinor = amountMinor == remaining ? remainingDestination
                : BigInteger.valueOf(transfer.destinationAmountMinor()).multiply(BigInteger.valueOf(amountMinor))
                        .divide(BigInteger.valueOf(transfer.sourceAmountMinor())).longValueExact();
        if (destinationMinor <= 0) {
            throw ApiProblem.unprocessable("amount_too_small", "Amount too small", "the refund converts to nothing in "
                    + transfer.destinationCurrency(), "amount");
        }
        UUID id = RowIds.next();
        jdbc.sql("""
                insert into refunds (id, transfer_id, partner_id, kind, status, rail, currency, amount_minor,
                    destination_currency, destination_amount_minor, reason, next_attempt_at)
                values (?, ?, ?, 'REFUND', 'PENDING', ?, ?, ?, ?, ?, ?, %s)""".formatted(recheckPolicy.nextAttemptAt("0")))
                .params(id, transferId, partnerId, transfer.rail(), currency.name(), amountMinor,
                        transfer.destinationCurrency().name(), destinationMinor, reason)
                .update();
        reserve(transferId, amountMinor, destinationMinor);
        Refund refund = require(id);
        outbox.append(instructionTopic(transfer.rail()), transferId.toString(), "refund.requested",
                RefundViews.of(refund));
        return refund;
    }

    public Optional<Refund> find(UUID id) {
        return jdbc.sql("select * from refunds where id = ?").param(id).query(this::map).optional();
    }

    /** A partner sees only its own refunds: another partner's id is simply absent. */
    public Optional<Refund> findForPartner(UUID partnerId, UUID id) {
        return jdbc.sql("select * from refunds where id = ? and partner_id = ?").params(id, partnerId)
                .query(this::map).optional();
    }

    public Refund require(UUID id) {
        return find(id).orElseThrow(() -> new IllegalStateException("no refund " + id));
    }

    /** Every refund and return of a transfer, oldest first. */
    public List<Refund> ofTransfer(UUID transferId) {
        return jdbc.sql("select * from refunds where transfer_id = ? order by created_at, id").param(transferId)
                .query(this::map).list();
    }

    /** In minor units of the transfer's currency: refunds and returns not failed (reserved or done). */
    public long refundedMinor(UUID transferId) {
        return jdbc.sql("select refunded_minor from transfers where id = ?").param(transferId).query(Long.class)
                .single();
    }

    /**
     * Claims a refund instruction for its rail: PENDING → SUBMITTED, or a SUBMITTED one again on a recheck (the rail
     * gets the same idempotency key: the refund id). Empty when there is nothing to send.
     */
    @Transactional
    public Optional<Refund> claim(UUID id, String rail, boolean recheck) {
        Refund refund = jdbc.sql("select * from refunds where id = ? for update").param(id).query(this::map)
                .optional().orElse(null);
        if (refund == null || !rail.equals(refund.rail()) || refund.kind() != Refund.Kind.REFUND) {
            return Optional.empty();
        }
        if (refund.status() == RefundStatus.PENDING) {
            return Optional.of(move(refund, RefundStatus.SUBMITTED, null, null));
        }
        return recheck && refund.status() == RefundStatus.SUBMITTED ? Optional.of(refund) : Optional.empty();
    }

    /**
     * A rail's outcome for a refund (called by the settlement stage, once per result): SETTLED → SUCCEEDED and the
     * money goes back to the partner; FAILED → FAILED and the amount is refundable again; PENDING waits for the
     * recheck; anything else is left for review. {@code railDetails} (a JSON object, or null: unchanged) is kept as
     * the rail's latest word on the refund.
     */
    @Transactional
    public void apply(UUID id, String outcome, String railStatus, String reference, String code, String reason,
            String railDetails) {
        Refund refund = jdbc.sql("select * from refunds where id = ? for update").param(id).query(this::map)
                .optional().orElse(null);
        if (refund == null) {
            log.error("Settlement result names an unknown refund {}", id);
            return;
        }
        jdbc.sql("""
                update refunds set rail_status = ?, rail_reference = coalesce(?, rail_reference),
                    rail_details = coalesce(?::jsonb, rail_details) where id = ?""")
                .params(railStatus, reference, railDetails, id).update();
        RefundStatus target = switch (outcome) {
            case "SETTLED" -> RefundStatus.SUCCEEDED;
            case "FAILED" -> RefundStatus.FAILED;
            case "PENDING" -> null;
            default -> {
                flag(id, "its rail reported status '" + railStatus + "' the refund status map lacks");
                yield null;
            }
        };
        if (target == null) {
            return;
        }
        if (!refund.status().canMoveTo(target)) {
            flag(id, "a " + outcome + " result arrived for a " + refund.status() + " refund");
            return;
        }
        Transfer transfer = transfers.require(refund.transferId());
        if (target == RefundStatus.SUCCEEDED) {
            Refund done = move(refund, target, null, null);
            ledger.post(TransferEntries.reversal("transfer.refund", id.toString(), " (refund " + id + ")", transfer,
                    refund.amountMinor(), refund.destinationAmountMinor()));
            outbox.append(EVENTS_TOPIC, transfer.id().toString(), "refund.succeeded", RefundViews.of(done));
        } else {
            jdbc.sql("select id from transfers where id = ? for update").param(transfer.id()).query(UUID.class).single();
            reserve(transfer.id(), -refund.amountMinor(), -refund.destinationAmountMinor());
            Refund failed = move(refund, target, code == null ? "rail_failed" : code, reason);
            outbox.append(EVENTS_TOPIC, transfer.id().toString(), "refund.failed", RefundViews.of(failed));
            if (transfer.status() != TransferStatus.SETTLED) {
                // returned while this refund was in flight: the return left this part out, what the rail did with it
                // is for reconciliation to tell, never guessed here
                flag(id, "it failed after its transfer became " + transfer.status());
            }
        }
    }

    /**
     * A return the rail initiated after the transfer settled (SPEI Devuelta, Pix devolução, Circle
     * transaction_returned), recorded as a RETURN with the rail's reference. {@code returnedSoFar} is how much the rail
     * says it has given back of the payout in all (destination minor units), for a rail that returns in part; null
     * when the return takes what is left. The part not recorded yet goes back to the partner; once nothing is left
     * unrefunded the transfer is RETURNED ({@code transfer.returned}), before that it stays SETTLED and the partial
     * return is announced as {@code transfer.partially_returned}. False when the rail returns more than is left (the
     * caller flags it for review); a return already recorded is not recorded again.
     */
    @Transactional
    public boolean recordReturn(Transfer settled, Long returnedSoFar, String railStatus, String reference, String code,
            String reason) {
        long[] refunded = jdbc.sql("""
                select refunded_minor, refunded_destination_minor from transfers where id = ? for update""")
                .param(settled.id()).query((rs, n) -> new long[] {rs.getLong(1), rs.getLong(2)}).single();
        long remaining = settled.sourceAmountMinor() - refunded[0];
        long remainingDestination = settled.destinationAmountMinor() - refunded[1];
        long newlyReturned = remainingDestination;
        if (returnedSoFar != null) {
            long recorded = jdbc.sql("""
                    select coalesce(sum(destination_amount_minor), 0) from refunds
                    where transfer_id = ? and kind = 'RETURN'""").param(settled.id()).query(Long.class).single();
            newlyReturned = returnedSoFar - recorded;
            if (newlyReturned <= 0) {
                return true; // this much was recorded before: the rail is repeating itself
            }
        }
        if (remaining <= 0 || remainingDestination <= 0 || newlyReturned > remainingDestination) {
            log.warn("Transfer {}: {} reports a return of more than remains unrefunded: left for review", settled.id(),
                    settled.rail());
            return false;
        }
        boolean whole = newlyReturned == remainingDestination;
        // the source side of a part, in proportion (rounded down: what is left goes with the last part)
        long source = whole ? remaining : BigInteger.valueOf(remaining).multiply(BigInteger.valueOf(newlyReturned))
                .divide(BigInteger.valueOf(remainingDestination)).longValueExact();
        UUID id = RowIds.next();
        jdbc.sql("""
                insert into refunds (id, transfer_id, partner_id, kind, status, rail, currency, amount_minor,
                    destination_currency, destination_amount_minor, reason, rail_reference, rail_status, failure_code,
                    failure_reason, completed_at)
                values (?, ?, ?, 'RETURN', 'SUCCEEDED', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, clock_timestamp())""")
                .params(id, settled.id(), settled.partnerId(), settled.rail(), settled.sourceCurrency().name(),
                        source, settled.destinationCurrency().name(), newlyReturned,
                        reason == null ? "returned by " + settled.rail() : reason, reference, railStatus, code, reason)
                .update();
        reserve(settled.id(), source, newlyReturned);
        if (whole) {
            transfers.transition(settled.id(), TransferStatus.RETURNED, "returned by " + settled.rail(),
                    Transfers.Changes.failure(code == null ? "returned" : code, reason), null);
            jdbc.sql("update transfers set next_attempt_at = null, return_watch_until = null where id = ?")
                    .param(settled.id()).update();
        } else {
            outbox.append(EVENTS_TOPIC, settled.id().toString(), "transfer.partially_returned",
                    RefundViews.of(require(id)));
        }
        // one entry per return (its id): a transfer returned in parts has several, each posted once
        ledger.post(TransferEntries.reversal("transfer.return", id.toString(), " (return " + id + ")",
                settled, source, newlyReturned));
        return true;
    }

    private void reserve(UUID transferId, long amountMinor, long destinationMinor) {
        jdbc.sql("""
                update transfers set refunded_minor = refunded_minor + ?,
                    refunded_destination_minor = refunded_destination_minor + ?, updated_at = clock_timestamp()
                where id = ?""").params(amountMinor, destinationMinor, transferId).update();
    }

    private Refund move(Refund refund, RefundStatus to, String code, String reason) {
        if (!refund.status().canMoveTo(to)) {
            throw new IllegalStateException("refund " + refund.id() + " cannot move from " + refund.status() + " to "
                    + to);
        }
        jdbc.sql("""
                update refunds set status = ?, updated_at = clock_timestamp(),
                    failure_code = coalesce(?, failure_code), failure_reason = coalesce(?, failure_reason),
                    completed_at = case when ? then clock_timestamp() end,
                    next_attempt_at = case when ? then null else next_attempt_at end
                where id = ?""")
                .params(to.name(), code, reason, to.isFinal(), to.isFinal(), refund.id()).update();
        return require(refund.id());
    }

    private void flag(UUID id, String why) {
        jdbc.sql("update refunds set needs_review = true where id = ?").param(id).update();
        log.warn("Refund {}: {}: left for review", id, why);
    }

    private static long minor(BigDecimal amount, CurrencyCode currency) {
        if (amount.signum() <= 0) {
            throw ApiProblem.invalid("amount", "a positive amount is required");
        }
        try {
            return currency.toMinor(amount);
        } catch (IllegalArgumentException e) {
            throw ApiProblem.invalid("amount", "at most " + currency.scale() + " decimals for " + currency);
        }
    }

    private Refund map(ResultSet rs, int row) throws SQLException {
        return new Refund(rs.getObject("id", UUID.class), rs.getObject("transfer_id", UUID.class),
                rs.getObject("partner_id", UUID.class), Refund.Kind.valueOf(rs.getString("kind")),
                RefundStatus.valueOf(rs.getString("status")), rs.getString("rail"),
                CurrencyCode.valueOf(rs.getString("currency")), rs.getLong("amount_minor"),
                CurrencyCode.valueOf(rs.getString("destination_currency")), rs.getLong("destination_amount_minor"),
                rs.getString("reason"), rs.getString("rail_reference"), rs.getString("rail_status"),
                rs.getString("failure_code"), rs.getString("failure_reason"), details(rs.getString("rail_details")),
                instant(rs.getTimestamp("created_at")),
                instant(rs.getTimestamp("updated_at")), instant(rs.getTimestamp("completed_at")));
    }

    private Map<String, Object> details(String stored) {
        if (stored == null) {
            return null;
        }
        try {
            return json.readValue(stored, new TypeReference<>() { });
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored rail_details are unreadable", e);
        }
    }

    private static Instant instant(Timestamp timestamp) {
        return timestamp == null ? null : timestamp.toInstant();
    }
}
