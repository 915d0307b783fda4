package io.railyard.transfer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.railyard.api.ApiProblem;
import io.railyard.api.Keyset;
import io.railyard.fx.FxRates;
import io.railyard.id.RowIds;
import io.railyard.ledger.AccountKey;
import io.railyard.ledger.AccountKind;
import io.railyard.ledger.CurrencyCode;
import io.railyard.ledger.EntryRequest;
import io.railyard.ledger.Ledger;
import io.railyard.outbox.Outbox;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

/**
 * Transfers and their state machine. Every change of status is one transaction: the row, its transition record, the
 * ledger effect it implies and its outbox event commit together.
 */
@Service
public class Transfers {

    public static final String ACCEPTED_TOPIC = "railyard.transfer.accepted.v1";
    public static final String EVENTS_TOPIC = "railyard.transfer.events.v1";
    /** For each status, the statuses the state machine lets a transfer move to it from (SQL text[] values). */
    private static final Map<TransferStatus, String[]> ORIGINS = Arrays.stream(TransferStatus.values())
            .collect(Collectors.toUnmodifiableMap(to -> to, to -> Arrays.stream(TransferStatus.values())
                    .filter(from -> from.canMoveTo(to)).map(Enum::name).toArray(String[]::new)));
    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {
    };

    private final JdbcClient jdbc;
    private final JdbcTemplate template;
    private final Ledger ledger;
    private final Outbox outbox;
    private final FxRates fx;
    private final ObjectMapper json;

    public Transfers(JdbcClient jdbc, JdbcTemplate template, Ledger ledger, Outbox outbox, FxRates fx,
            ObjectMapper json) {
        this.jdbc = jdbc;
        this.template = template;
        this.ledger = ledger;
        this.outbox = outbox;
        this.fx = fx;
        this.json = json;
    }

    /**
     * Accepts a validated transfer: the row (ACCEPTED), the hold of the source amount (available → in flight) and the
     * {@code transfer.accepted} event, in one transaction. Throws {@code InsufficientFunds} with nothing written.
     */
    @Transactional
    public Transfer accept(UUID partnerId, TransferValidator.Valid request) {
        return acceptAll(partnerId, List.of(request), null).get(0);
    }

    /**
     * Accepts transfers together, each exactly as {@link #accept} would (its row, its own hold and its event), in a
     * fixed number of statements whatever their count: the items of a batch ({@code batchId}, or null).
     */
    @Transactional
    public List<Transfer> acceptAll(UUID partnerId, List<TransferValidator.Valid> requests, UUID batchId) {
        int n = requests.size();
        UUID[] ids = new UUID[n];
        long[] destinationAmounts = new long[n];
        String[] quotes = new String[n];
        List<EntryRequest> holds = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            TransferValidator.Valid request = requests.get(i);
            ids[i] = RowIds.next();
            FxRates.Quote quote = fx.quote(request.sourceCurrency(), request.sourceAmountMinor(),
                    request.destinationCurrency());
            if (quote.destinationAmountMinor() <= 0) {
                throw ApiProblem.unprocessable("amount_too_small", "Amount too small",
                        "the amount converts to nothing in " + request.destinationCurrency(), "amount");
            }
            destinationAmounts[i] = quote.destinationAmountMinor();
            quotes[i] = request.sourceCurrency() == request.destinationCurrency() ? null : write(quoteView(quote));
            holds.add(EntryRequest.move("transfer.hold", ids[i].toString(),
                    AccountKey.partner(partnerId.toString(), request.sourceCurrency(), AccountKind.AVAILABLE),
                    AccountKey.partner(partnerId.toString(), request.sourceCurrency(), AccountKind.IN_FLIGHT),
                    request.sourceAmountMinor()));
        }
        // One statement for every row and its ACCEPTED transition, whatever the count: a batch slice costs what one
        // transfer does in round trips, and the rows come back as stored (defaults included) without a re-read.
        Map<UUID, Transfer> stored = new HashMap<>();
        jdbc.sql("""
                with accepted as (
                    insert into transfers (id, partner_id, status, protocol, source_currency, source_amount_minor,
                        destination_currency, destination_amount_minor, destination_country, beneficiary,
                        protocol_metadata, metadata, reference, quote, batch_id)
                    select t.id, ?, 'ACCEPTED', t.protocol, t.source_currency, t.source_amount_minor,
                        t.destination_currency, t.destination_amount_minor, t.destination_country, t.beneficiary::jsonb,
                        t.protocol_metadata::jsonb, t.metadata::jsonb, t.reference, t.quote::jsonb, ?::uuid
                    from unnest(?::uuid[], ?::text[], ?::text[], ?::bigint[], ?::text[], ?::bigint[], ?::text[],
                        ?::text[], ?::text[], ?::text[], ?::text[], ?::text[])
                        as t(id, protocol, source_currency, source_amount_minor, destination_currency,
                            destination_amount_minor, destination_country, beneficiary, protocol_metadata, metadata,
                            reference, quote)
                    returning *),
                transitions as (
                    insert into transfer_transitions (transfer_id, to_status, reason)
                    select id, 'ACCEPTED', 'accepted' from accepted)
                select * from accepted""")
                .params(partnerId, batchId, ids,
                        column(requests, r -> r.protocol().code()),
                        column(requests, r -> r.sourceCurrency().name()),
                        requests.stream().mapToLong(TransferValidator.Valid::sourceAmountMinor).toArray(),
                        column(requests, r -> r.destinationCurrency().name()), destinationAmounts,
                        column(requests, TransferValidator.Valid::destinationCountry),
                        column(requests, r -> write(r.beneficiary())),
                        column(requests, r -> write(r.protocolMetadata())),
                        column(requests, r -> write(r.metadata())),
                        column(requests, TransferValidator.Valid::reference), quotes)
                .query(this::map).list().forEach(transfer -> stored.put(transfer.id(), transfer));
        List<Transfer> accepted = Arrays.stream(ids).map(stored::get).toList();
        outbox.appendAll(accepted.stream().map(transfer -> new Outbox.Event(ACCEPTED_TOPIC, transfer.id().toString(),
                "transfer.accepted", TransferViews.of(transfer))).toList());
        // The holds last: the partner's balance rows are the hot locks, held from here to the commit only.
        ledger.postAll(holds);
        return accepted;
    }

    private static String[] column(List<TransferValidator.Valid> requests,
            Function<TransferValidator.Valid, String> value) {
        return requests.stream().map(value).toArray(String[]::new);
    }

    public Optional<Transfer> find(UUID id) {
        return jdbc.sql("select * from transfers where id = ?").param(id).query(this::map).optional();
    }

    /** A partner sees only its own transfers: another partner's id is simply absent. */
    public Optional<Transfer> findForPartner(UUID partnerId, UUID id) {
        return jdbc.sql("select * from transfers where id = ? and partner_id = ?").params(id, partnerId)
                .query(this::map).optional();
    }

    /** The transfers by id (an unknown id is absent), read by one statement. */
    public Map<UUID, Transfer> findAll(Collection<UUID> ids) {
        return byId("select * from transfers where id = any(?)", ids);
    }

    /**
     * The transfers by id (an unknown id is absent), their rows locked until the caller's transaction ends: a decision
     * on their status holds till then. Locked in id order, so two callers locking some of the same rows do not
     * deadlock.
     */
    @Transactional(propagation = Propagation.MANDATORY)
    public Map<UUID, Transfer> lockAll(Collection<UUID> ids) {
        return byId("select * from transfers where id = any(?) order by id for update", ids);
    }

    private Map<UUID, Transfer> byId(String select, Collection<UUID> ids) {
        return jdbc.sql(select).param(ids.toArray(UUID[]::new)).query(this::map).list().stream()
                .collect(Collectors.toMap(Transfer::id, Function.identity()));
    }

    public Transfer require(UUID id) {
        return find(id).orElseThrow(() -> new IllegalStateException("no transfer " + id));
    }

    /** Newest first, cursor-paginated. */
    public Keyset.Page<Transfer> list(UUID partnerId, ListFilter filter, int limit, String cursor) {
        StringBuilder sql = new StringBuilder("select * from transfers where partner_id = ?");
        List<Object> params = new ArrayList<>(List.of(partnerId));
        if (filter.status() != null) {
            sql.append(" and status = ?");
            params.add(filter.status().name());
        }
        if (filter.rail() != null) {
            sql.append(" and rail = ?");
            params.add(filter.rail());
        }
        if (filter.createdAfter() != null) {
            sql.append(" and created_at > ?");
            params.add(Timestamp.from(filter.createdAfter()));
        }
        Keyset.appendPage(sql, params, cursor, limit);
        return Keyset.page(jdbc.sql(sql.toString()).params(params).query(this::map).list(), limit,
                Transfer::createdAt, Transfer::id);
    }

    /**
     * Moves a transfer to {@code to} if the state machine allows it from where it is now, with the given column
     * changes, and writes the event of the change ({@code topic} null: the general transfer events topic).
     */
    @Transactional
    public Transfer transition(UUID id, TransferStatus to, String reason, Changes changes, String topic) {
        return move(id, ORIGINS.get(to), null, to, reason, changes, "", List.of(), topic).orElseThrow(() ->
                new IllegalTransitionException(id, require(id).status(), to));
    }

    /**
     * Moves transfers to {@code to} as {@link #transition} does, without column changes, in one statement whatever
     * their count (a settlement batch's, sealed): {@code reasons} by transfer, in the order of their events. All or
     * none: a transfer that may not move throws, and the transaction fails.
     */
    @Transactional
    public void transitionAll(Map<UUID, String> reasons, TransferStatus to) {
        List<Transfer> moved = jdbc.sql("""
                with input as (select * from unnest(?::uuid[], ?::text[]) with ordinality as i(id, reason, n)),
                current as (select t.id, t.status from transfers t join input i on i.id = t.id
                    order by t.id for update of t),
                moved as (
                    update transfers t set status = ?, updated_at = clock_timestamp()
                    from current where t.id = current.id and current.status = any(?)
                    returning t.*, current.status as from_status),
                logged as (
                    insert into transfer_transitions (transfer_id, from_status, to_status, reason)
                    select m.id, m.from_status, m.status, i.reason from moved m join input i on i.id = m.id)
                select m.* from moved m join input i on i.id = m.id order by i.n""")
                .params(reasons.keySet().toArray(UUID[]::new), reasons.values().toArray(String[]::new), to.name(),
                        ORIGINS.get(to)).query(this::map).list();
        if (moved.size() < reasons.size()) {
            Set<UUID> done = moved.stream().map(Transfer::id).collect(Collectors.toSet());
            UUID stuck = reasons.keySet().stream().filter(id -> !done.contains(id)).findFirst().orElseThrow();
            throw new IllegalTransitionException(stuck, require(stuck).status(), to);
        }
        outbox.appendAll(moved.stream().map(transfer -> new Outbox.Event(EVENTS_TOPIC, transfer.id().toString(),
                "transfer." + to.name().toLowerCase(), TransferViews.of(transfer))).toList());
    }

    /**
     * Moves a transfer ROUTED to {@code rail} on to SUBMITTED, as {@link #transition} does, and sets when to ask the
     * rail about it if no answer comes ({@code recheckAt}, an SQL expression: {@code RecheckPolicy#nextAttemptAt});
     * empty, and nothing changed, when it is not ROUTED to that rail (already submitted, cancelled, rerouted, or
     * unknown). A connector's claim in one statement: it needs to read the transfer only when this finds nothing to
     * move.
     */
    @Transactional
    public Optional<Transfer> submit(UUID id, String rail, String reason, String recheckAt) {
        return move(id, new String[] {TransferStatus.ROUTED.name()}, rail, TransferStatus.SUBMITTED, reason,
                Changes.NONE, ", next_attempt_at = " + recheckAt, List.of(), null);
    }

    /**
     * Moves a transfer to SETTLED as {@link #transition} does, in the same statement noting when, the rail's status
     * and reference, and, when {@code watchFor} is given, that the rail is to be asked about a late return after
     * {@code watchInterval}, until {@code watchFor} has passed (else no question is scheduled).
     */
    @Transactional
    public Transfer settle(UUID id, String reason, String railStatus, String railReference, Duration watchInterval,
            Duration watchFor) {
        boolean watch = watchFor != null;
        return move(id, ORIGINS.get(TransferStatus.SETTLED), null, TransferStatus.SETTLED, reason,
                new Changes(null, null, null, railReference, null, null, null), """
                        , rail_status = ?, settled_at = clock_timestamp(),
                        next_attempt_at = case when ? then clock_timestamp() + make_interval(secs => ?) end,
                        return_watch_until = case when ? then clock_timestamp() + make_interval(secs => ?) end""",
                Arrays.asList(railStatus, watch, seconds(watchInterval), watch,
                        seconds(watch ? watchFor : Duration.ZERO)), null)
                .orElseThrow(() -> new IllegalTransitionException(id, require(id).status(), TransferStatus.SETTLED));
    }

    private static double seconds(Duration duration) {
        return duration.toMillis() / 1000.0;
    }

    /**
     * The move from one of {@code from}, on {@code rail} unless that is null, with {@code alsoSet} (SQL: more columns
     * set, with {@code alsoParams} for its parameters, or empty); empty when nothing moved (no such transfer, or not
     * where the move may start).
     */
    private Optional<Transfer> move(UUID id, String[] from, String rail, TransferStatus to, String reason,
            Changes changes, String alsoSet, List<Object> alsoParams, String topic) {
        List<Object> params = new ArrayList<>(Arrays.asList(id, rail, to.name(), changes.rail(),
                changes.fallbackRail(), changes.routingReason(), changes.railReference(), changes.failureCode(),
                changes.failureReason(), changes.releaseAt() == null ? null : Timestamp.from(changes.releaseAt())));
        params.addAll(alsoParams);
        params.add(from);
        params.add(reason);
        // one round trip: the row locked, moved if it is where the move may start, its history row written, and the
        // row as it is now
        Optional<Transfer> updated = jdbc.sql("""
                with current as (select id, status from transfers
                    where id = ? and rail is not distinct from coalesce(?, rail) for update),
                moved as (
                    update transfers t set status = ?, updated_at = clock_timestamp(),
                        rail = coalesce(?, rail), fallback_rail = coalesce(?, fallback_rail),
                        routing_reason = coalesce(?, routing_reason), rail_reference = coalesce(?, rail_reference),
                        failure_code = coalesce(?, failure_code), failure_reason = coalesce(?, failure_reason),
                        release_at = ?%s
                    from current where t.id = current.id and current.status = any(?)
                    returning t.*, current.status as from_status),
                logged as (
                    insert into transfer_transitions (transfer_id, from_status, to_status, reason)
                    select id, from_status, status, ? from moved)
                select * from moved""".formatted(alsoSet))
                .params(params).query(this::map).optional();
        updated.ifPresent(transfer -> outbox.append(topic == null ? EVENTS_TOPIC : topic, id.toString(),
                "transfer." + to.name().toLowerCase(), TransferViews.of(transfer)));
        return updated;
    }

    /**
     * Writes the instruction of a transfer still ROUTED again ({@code topic}: its rail's), and notes the time, so the
     * routing sweep asks once per sweep period at most. Nothing when it has moved on meanwhile.
     */
    @Transactional
    public void reinstruct(UUID id, String topic) {
        int routed = jdbc.sql("update transfers set updated_at = clock_timestamp() where id = ? and status = 'ROUTED'")
                .param(id).update();
        if (routed == 1) {
            outbox.append(topic, id.toString(), "transfer.routed", TransferViews.of(require(id)));
        }
    }

    /** Cancels a transfer no rail has seen yet, and releases its hold. */
    @Transactional
    public Transfer cancel(UUID partnerId, UUID id) {
        Transfer current = findForPartner(partnerId, id).orElseThrow(() -> ApiProblem.notFound("transfer " + id));
        if (!current.status().isCancellable()) {
            throw ApiProblem.conflict("not_cancellable", "a " + current.status()
                    + " transfer can no longer be cancelled: only ACCEPTED, ROUTED or QUEUED ones can");
        }
        Transfer cancelled = transition(current.id(), TransferStatus.CANCELLED, "cancelled by partner",
                Changes.NONE, null);
        ledger.post(EntryRequest.move("transfer.release", id.toString(),
                AccountKey.partner(partnerId.toString(), current.sourceCurrency(), AccountKind.IN_FLIGHT),
                AccountKey.partner(partnerId.toString(), current.sourceCurrency(), AccountKind.AVAILABLE),
                current.sourceAmountMinor()));
        return cancelled;
    }

    public List<Map<String, Object>> transitions(UUID id) {
        return jdbc.sql("select from_status, to_status, reason, at from transfer_transitions where transfer_id = ? "
                + "order by id").param(id).query((rs, n) -> {
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("from", rs.getString("from_status"));
                    row.put("to", rs.getString("to_status"));
                    row.put("reason", rs.getString("reason"));
                    row.put("at", rs.getTimestamp("at").toInstant().toString());
                    return row;
                }).list();
    }

    private Map<String, Object> quoteView(FxRates.Quote quote) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("source_currency", quote.sourceCurrency().name());
        view.put("destination_currency", quote.destinationCurrency().name());
        view.put("mid_rate", quote.midRate().toPlainString());
        view.put("spread_bps", quote.spreadBps());
        view.put("applied_rate", quote.appliedRate().toPlainString());
        view.put("source_amount", quote.sourceCurrency().fromMinor(quote.sourceAmountMinor()).toPlainString());
        view.put("destination_amount",
                quote.destinationCurrency().fromMinor(quote.destinationAmountMinor()).toPlainString());
        view.put("quoted_at", quote.quotedAt().toString());
        return view;
    }

    private Transfer map(ResultSet rs, int row) throws SQLException {
        return new Transfer(rs.getObject("id", UUID.class), rs.getObject("partner_id", UUID.class),
                TransferStatus.valueOf(rs.getString("status")), Protocol.parse(rs.getString("protocol")).orElseThrow(),
                CurrencyCode.valueOf(rs.getString("source_currency")), rs.getLong("source_amount_minor"),
                CurrencyCode.valueOf(rs.getString("destination_currency")), rs.getLong("destination_amount_minor"),
                rs.getString("destination_country"), read(rs.getString("beneficiary")),
                read(rs.getString("protocol_metadata")), read(rs.getString("metadata")), rs.getString("reference"),
                read(rs.getString("quote")), rs.getString("rail"), rs.getString("fallback_rail"),
                rs.getString("routing_reason"), rs.getString("rail_reference"), rs.getString("failure_code"),
                rs.getString("failure_reason"), instant(rs.getTimestamp("release_at")),
                rs.getObject("batch_id", UUID.class), rs.getTimestamp("created_at").toInstant(), rs.getTimestamp("updated_at").toInstant());
    }

    private static Instant instant(Timestamp timestamp) {
        return timestamp == null ? null : timestamp.toInstant();
    }

    private String write(Map<String, Object> value) {
        if (value == null) {
            return null;
        }
        try {
            return json.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not serialisable", e);
        }
    }

    private Map<String, Object> read(String value) {
        if (value == null) {
            return null;
        }
        try {
            return json.readValue(value, MAP);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored JSON is unreadable", e);
        }
    }

    /** Columns a transition may set (null: unchanged; {@code releaseAt} is always set, null clears it). */
    public record Changes(String rail, String fallbackRail, String routingReason, String railReference,
            String failureCode, String failureReason, Instant releaseAt) {
        public static final Changes NONE = new Changes(null, null, null, null, null, null, null);

        public static Changes failure(String code, String reason) {
            return new Changes(null, null, null, null, code, reason, null);
        }
    }

    public record ListFilter(TransferStatus status, String rail, Instant createdAfter) {
    }
}
