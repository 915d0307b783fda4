package io.railyard.settlementbatch;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.railyard.api.Keyset;
import io.railyard.connector.ConnectorDescriptor;
import io.railyard.connector.ConnectorRegistry;
import io.railyard.connector.RecheckPolicy;
import io.railyard.connector.RailGate;
import io.railyard.connector.RailOutcome;
import io.railyard.ledger.CurrencyCode;
import io.railyard.routing.TransferRouter;
import io.railyard.transfer.Transfer;
import io.railyard.transfer.TransferStatus;
import io.railyard.transfer.Transfers;
import io.railyard.window.SettlementWindows;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.UUID;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;

/**
 * Settlement batches: a completed window's instructions sealed into a batch (more than one when a poll overfilled it;
 * lines netted per beneficiary where the rail and config/rails.yaml allow it), handed to the rail's connector
 * ({@code direct:batch.<rail>.send}), each line's answer recorded and turned into one settlement result per transfer
 * of the line. Sealing is idempotent (a batch id derives from the window and its transfers), so a recovered or re-sent
 * window makes no second batch, and the rail executes a batch id once.
 */
@Component("settlementBatches")
public class SettlementBatches {

    static final List<String> STATUSES = List.of("SUBMITTED", "COMPLETED", "COMPLETED_WITH_FAILURES", "FAILED");
    /** Each line's outcome as recorded when the batch was loaded, by line key (an exchange property). */
    private static final String RECORDED = "railyardBatchLinesRecorded";
    private static final Logger log = LoggerFactory.getLogger(SettlementBatches.class);
    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {
    };

    private final JdbcClient jdbc;
    private final Transfers transfers;
    private final SettlementWindows windows;
    private final ConnectorRegistry connectors;
    private final ObjectMapper json;
    private final ObjectMapper canonical;
    private final RecheckPolicy recheckPolicy;
    private final TransferRouter router;
    private final Duration reofferGrace;
    private final Duration watchFor;
    private final Duration watchInterval;

    public SettlementBatches(JdbcClient jdbc, Transfers transfers, SettlementWindows windows,
            ConnectorRegistry connectors, ObjectMapper json, TransferRouter router, RecheckPolicy recheckPolicy,
            @Value("${railyard.settlement-batches.reoffer-grace:PT1M}") Duration reofferGrace,
            @Value("${railyard.returns.watch-for:PT15M}") Duration watchFor,
            @Value("${railyard.returns.watch-interval:PT30S}") Duration watchInterval) {
        this.jdbc = jdbc;
        this.transfers = transfers;
        this.windows = windows;
        this.connectors = connectors;
        this.json = json;
        this.router = router;
        this.reofferGrace = reofferGrace;
        this.watchFor = watchFor;
        this.watchInterval = watchInterval;
        // one beneficiary is one JSON text whatever the key order it was written in
        this.canonical = json.copy().enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);
        this.recheckPolicy = recheckPolicy;
    }

    /**
     * The aggregator's completion: seals the window's group (body: transfer ids, headers: its key and size limit) into
     * batches of at most that limit, in the order the transfers arrived, unless it was sealed before (a recovered
     * completion); the body becomes their ids, for the connector. Transfers no longer ROUTED (cancelled meanwhile) or
     * already in a batch (an instruction delivered twice) are left out; a group left empty makes no batch.
     */
    @Transactional
    public void seal(Exchange exchange) {
        WindowGroup group = WindowGroup.parse(exchange.getIn().getHeader(SettlementBatcher.GROUP, String.class));
        @SuppressWarnings("unchecked")
        List<String> ids = exchange.getIn().getBody(List.class);
        int maxItems = exchange.getIn().getHeader(SettlementBatcher.MAX_ITEMS, Integer.MAX_VALUE, Integer.class);
        List<UUID> batchIds = batchIds(group, ids, maxItems);
        List<UUID> sealed = jdbc.sql("select id from settlement_batches where id = any(?)")
                .param(batchIds.toArray(UUID[]::new)).query(UUID.class).list();
        exchange.getMessage().setBody((sealed.isEmpty() ? createBatches(batchIds, group, ids, maxItems)
                : batchIds.stream().filter(sealed::contains).toList()).stream().map(UUID::toString).toList());
    }

    /**
     * The ids a group's batches get, in order, as many as it can fill: they derive from the window and its transfers,
     * so sealing a recovered group again finds its batches, and the rail, to which a batch id is an idempotency key,
     * pays each once. The first is what a group sealed into a single batch always had.
     */
    private static List<UUID> batchIds(WindowGroup group, List<String> ids, int maxItems) {
        UUID first = UUID.nameUUIDFromBytes(("settlement-batch|" + group.key() + "|"
                + String.join(",", new TreeSet<>(ids))).getBytes(StandardCharsets.UTF_8));
        List<UUID> batchIds = new ArrayList<>(List.of(first));
        for (int n = 2; n <= (ids.size() - 1) / maxItems + 1; n++) {
            batchIds.add(UUID.nameUUIDFromBytes((first + "|" + n).getBytes(StandardCharsets.UTF_8)));
        }
        return batchIds;
    }

    /** The group's batches, each of at most {@code maxItems} of its transfers still to pay; their ids. */
    private List<UUID> createBatches(List<UUID> batchIds, WindowGroup group, List<String> ids, int maxItems) {
        List<UUID> members = ids.isEmpty() ? List.of() : jdbc.sql("""
                select id from transfers t where id in (:ids) and status = 'ROUTED' and rail = :rail
                    and destination_currency = :currency
                    and not exists (select 1 from settlement_batch_items i where i.transfer_id = t.id)
                order by created_at, id for update""")
                .param("ids", ids.stream().map(UUID::fromString).toList()).param("rail", group.rail())
                .param("currency", group.currency()).query(UUID.class).list();
        Map<UUID, Transfer> locked = members.isEmpty() ? Map.of() : transfers.findAll(members);
        boolean netting = !members.isEmpty() && netting(group);
        List<UUID> created = new ArrayList<>();
        for (int from = 0; from < members.size(); from += maxItems) {
            UUID batchId = batchIds.get(created.size());
            List<Transfer> batch = members.subList(from, Math.min(members.size(), from + maxItems)).stream()
                    .map(locked::get).toList();
            createBatch(batchId, group, batch, netting);
            created.add(batchId);
        }
        return created;
    }

    private void createBatch(UUID batchId, WindowGroup group, List<Transfer> members, boolean netting) {
        Map<String, List<Transfer>> lines = new LinkedHashMap<>();
        for (Transfer transfer : members) {
            lines.computeIfAbsent(netting ? write(transfer.beneficiary()) : transfer.id().toString(),
                    k -> new ArrayList<>()).add(transfer);
        }
        long total = members.stream().mapToLong(Transfer::destinationAmountMinor).reduce(0, Math::addExact);
        jdbc.sql("""
                insert into settlement_batches (id, rail, currency, window_end, netting, status, item_count, line_count,
                    total_minor, next_attempt_at)
                values (?, ?, ?, ?, ?, 'SUBMITTED', ?, ?, ?, %s)""".formatted(recheckPolicy.nextAttemptAt("0")))
                .params(batchId, group.rail(), group.currency(), Timestamp.from(group.end()), netting, members.size(),
                        lines.size(), total).update();
        insertLinesAndItems(batchId, List.copyOf(lines.values()));
        Map<UUID, String> reasons = new LinkedHashMap<>();
        int lineNo = 0;
        for (List<Transfer> line : lines.values()) {
            lineNo++;
            for (Transfer transfer : line) {
                reasons.put(transfer.id(), "submitted to " + group.rail() + " in settlement batch " + batchId
                        + " (line " + lineNo + " of " + lines.size() + ")");
            }
        }
        transfers.transitionAll(reasons, TransferStatus.SUBMITTED);
        log.info("Settlement batch {} sealed: {} {} transfers in {} lines, window ending {}", batchId, members.size(),
                group.rail(), lines.size(), group.end());
    }

    /** The batch's lines (numbered from 1) and which transfer is in which, in two statements whatever their count. */
    private void insertLinesAndItems(UUID batchId, List<List<Transfer>> lines) {
        int n = lines.size();
        Integer[] lineNos = new Integer[n];
        UUID[] lineKeys = new UUID[n];
        String[] beneficiaries = new String[n];
        Long[] amounts = new Long[n];
        List<UUID> itemIds = new ArrayList<>();
        List<Integer> itemLines = new ArrayList<>();
        List<Long> itemAmounts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            List<Transfer> line = lines.get(i);
            lineNos[i] = i + 1;
            lineKeys[i] = UUID.nameUUIDFromBytes((batchId + ":" + lineNos[i]).getBytes(StandardCharsets.UTF_8));
            beneficiaries[i] = write(line.get(0).beneficiary());
            amounts[i] = line.stream().mapToLong(Transfer::destinationAmountMinor).reduce(0, Math::addExact);
            for (Transfer transfer : line) {
                itemIds.add(transfer.id());
                itemLines.add(lineNos[i]);
                itemAmounts.add(transfer.destinationAmountMinor());
            }
        }
        jdbc.sql("""
                insert into settlement_batch_lines (batch_id, line_no, line_key, beneficiary, amount_minor)
                select ?, l.line_no, l.line_key, l.beneficiary::jsonb, l.amount_minor
                from unnest(?::int[], ?::uuid[], ?::text[], ?::bigint[])
                    as l(line_no, line_key, beneficiary, amount_minor)""")
                .params(batchId, lineNos, lineKeys, beneficiaries, amounts).update();
        jdbc.sql("""
                insert into settlement_batch_items (transfer_id, batch_id, line_no, amount_minor)
                select i.transfer_id, ?, i.line_no, i.amount_minor
                from unnest(?::uuid[], ?::int[], ?::bigint[]) as i(transfer_id, line_no, amount_minor)""")
                .params(batchId, itemIds.toArray(UUID[]::new), itemLines.toArray(Integer[]::new),
                        itemAmounts.toArray(Long[]::new)).update();
    }

    /** Netting needs both: config/rails.yaml asks for it and the rail's connector accepts netted lines. */
    private boolean netting(WindowGroup group) {
        boolean configured = windows.batchWindow(group.rail(), group.currency(), group.end().minusNanos(1))
                .map(SettlementWindows.BatchWindow::netting).orElse(false);
        return configured && connectors.batches(group.rail()).map(ConnectorDescriptor.Batches::netting).orElse(false);
    }

    /**
     * What the connector needs to send the batch: {@code railyardRail}, {@code railyardBatchId} (its idempotency key at
     * the rail), {@code railyardBatchCurrency}, {@code railyardBatchTotal}, {@code railyardBatchLines} (per line:
     * {@code line}, {@code line_key}, {@code amount}, {@code amount_minor}, {@code currency}, {@code beneficiary},
     * {@code transfers}) and {@code railyardRailBatchId} (the rail's id for it, from an earlier attempt); and, for
     * {@link #line}, each line's outcome recorded so far by line key ({@link #RECORDED}).
     */
    private void expose(Exchange exchange, UUID batchId) {
        Map<String, Object> batch = jdbc.sql("select * from settlement_batches where id = ?").param(batchId).query()
                .singleRow();
        CurrencyCode currency = CurrencyCode.valueOf((String) batch.get("currency"));
        List<Map<String, Object>> lines = new ArrayList<>();
        Map<String, String> recorded = new HashMap<>();
        Map<Integer, List<Map<String, Object>>> items = itemsByLine(batchId);
        for (Map<String, Object> line : lines(batchId)) {
            recorded.put(line.get("line_key").toString(), (String) line.get("outcome"));
            Map<String, Object> view = new LinkedHashMap<>();
            view.put("line", line.get("line_no"));
            view.put("line_key", line.get("line_key").toString());
            view.put("amount", currency.fromMinor((Long) line.get("amount_minor")).toPlainString());
            view.put("amount_minor", line.get("amount_minor"));
            view.put("currency", currency.name());
            view.put("beneficiary", read(line.get("beneficiary").toString()));
            view.put("transfers", itemsOf(items, line).stream().map(item -> item.get("transfer_id").toString())
                    .toList());
            lines.add(view);
        }
        exchange.setProperty("railyardRail", batch.get("rail"));
        exchange.setProperty("railyardBatchId", batchId.toString());
        exchange.setProperty("railyardBatchCurrency", currency.name());
        exchange.setProperty("railyardBatchTotal", currency.fromMinor((Long) batch.get("total_minor")).toPlainString());
        exchange.setProperty("railyardBatchLines", lines);
        exchange.setProperty(RECORDED, recorded);
        exchange.setProperty("railyardRailBatchId", batch.get("rail_batch_id"));
        exchange.getMessage().removeHeaders("*");
    }

    /**
     * Records the rail's answer for one line (connector YAML, per line of the rail's answer): {@code railyardLineKey},
     * {@code railyardRailStatus} (read through the connector's status map), {@code railyardRailReference}, optional
     * {@code railyardFailureCode} / {@code railyardFailureReason} and {@code railyardReturnedAmount} (how much of the
     * line's payout the rail has given back so far, for a rail that returns in part). A line keeps its first final
     * answer, except that a settled line can come back later (a late return, found by the return watch of
     * {@link #dueForReturnWatch}): RETURNED when the whole line came back; when a part of it did, it stays SETTLED with
     * the part returned so far ({@code returned_minor}).
     */
    @Transactional
    public void line(Exchange exchange) {
        UUID batchId = UUID.fromString(exchange.getProperty("railyardBatchId", String.class));
        String rail = exchange.getProperty("railyardRail", String.class);
        String status = exchange.getProperty("railyardRailStatus", String.class);
        String lineKey = exchange.getProperty("railyardLineKey", String.class);
        RailOutcome outcome = connectors.outcome(rail, status);
        if (changesNothing(exchange, lineKey, outcome)) {
            return;
        }
        Long returned = null;
        boolean partReturned = false;
        // the line is read only when the batch was not loaded with it, or to weigh a return against its amount
        if (!recorded(exchange).containsKey(lineKey) || reportsReturnedAmount(exchange)) {
            List<Map<String, Object>> found = jdbc.sql("""
                    select l.amount_minor, b.currency from settlement_batch_lines l join settlement_batches b
                        on b.id = l.batch_id where l.batch_id = ? and l.line_key = ?::uuid""").params(batchId, lineKey)
                    .query().listOfRows();
            if (found.isEmpty()) {
                log.error("Settlement batch {}: {} answered for a line it was not sent ({})", batchId, rail, lineKey);
                return;
            }
            Map<String, Object> line = found.get(0);
            returned = returnedMinor(exchange, CurrencyCode.valueOf((String) line.get("currency")), batchId, lineKey);
            partReturned = returned != null && returned < (Long) line.get("amount_minor")
                    && (outcome == RailOutcome.RETURNED || outcome == RailOutcome.SETTLED);
            if (partReturned) {
                outcome = RailOutcome.SETTLED; // the line paid; a part of it came back
            }
        }
        int updated = jdbc.sql("""
                update settlement_batch_lines set outcome = ?, rail_status = ?,
                    rail_reference = coalesce(?, rail_reference), failure_code = ?, failure_reason = ?,
                    returned_minor = case when ? then greatest(coalesce(returned_minor, 0), ?) else returned_minor end
                where batch_id = ? and line_key = ?::uuid
                    and (outcome = 'PENDING' or (outcome = 'SETTLED' and (? = 'RETURNED' or ?)))""")
                .params(outcome.name(), status, exchange.getProperty("railyardRailReference", String.class),
                        exchange.getProperty("railyardFailureCode", String.class),
                        exchange.getProperty("railyardFailureReason", String.class), partReturned,
                        partReturned ? returned : 0L, batchId, lineKey, outcome.name(), partReturned).update();
        if (updated == 1 && (outcome == RailOutcome.RETURNED || partReturned)) {
            log.info("Settlement batch {}: {} returned line {} ({})", batchId, rail, lineKey,
                    partReturned ? "in part: " + returned + " minor units so far" : "whole");
        }
    }

    /**
     * The answer for a line already final when the batch was loaded, and no return of it: the update of {@link #line}
     * would match nothing. Most answers are such on the return watch's looks at a settled batch (every line again).
     */
    private static boolean changesNothing(Exchange exchange, String lineKey, RailOutcome outcome) {
        String was = recorded(exchange).get(lineKey);
        boolean aReturn = outcome == RailOutcome.RETURNED || reportsReturnedAmount(exchange);
        return was != null && !RailOutcome.PENDING.name().equals(was)
                && !(RailOutcome.SETTLED.name().equals(was) && aReturn);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, String> recorded(Exchange exchange) {
        return exchange.getProperty(RECORDED, Map.of(), Map.class);
    }

    private static boolean reportsReturnedAmount(Exchange exchange) {
        String returned = exchange.getProperty("railyardReturnedAmount", String.class);
        return returned != null && !returned.isBlank();
    }

    /** The line's {@code railyardReturnedAmount} in minor units; null when absent, unreadable (logged) or none. */
    private Long returnedMinor(Exchange exchange, CurrencyCode currency, UUID batchId, String lineKey) {
        if (!reportsReturnedAmount(exchange)) {
            return null;
        }
        String returned = exchange.getProperty("railyardReturnedAmount", String.class);
        try {
            long minor = currency.toMinor(new BigDecimal(returned));
            return minor > 0 ? minor : null;
        } catch (IllegalArgumentException | ArithmeticException e) {
            log.warn("Settlement batch {}: line {} reports a returned amount '{}' that is not an amount of {}",
                    batchId, lineKey, returned, currency);
            return null;
        }
    }

    /**
     * After the connector: the rail's id for the batch ({@code railyardRailBatchId}) noted the first time, and one
     * settlement result per transfer of every line with a final answer (a batch the rail refused as a whole,
     * {@code railyardRejected}, fails every line), as {@code {key, value}} Kafka records; the batch is finished when
     * no line is pending. Results already applied are skipped by the settlement stage.
     */
    @Transactional
    public List<Map<String, String>> results(Exchange exchange) throws JsonProcessingException {
        UUID batchId = UUID.fromString(exchange.getProperty("railyardBatchId", String.class));
        String rail = exchange.getProperty("railyardRail", String.class);
        String railBatchId = exchange.getProperty("railyardRailBatchId", String.class);
        if (railBatchId != null) {
            jdbc.sql("update settlement_batches set rail_batch_id = ? where id = ? and rail_batch_id is null")
                    .params(railBatchId, batchId).update();
        }
        if (exchange.getProperty("railyardRejected", false, Boolean.class)) {
            jdbc.sql("""
                    update settlement_batch_lines set outcome = 'FAILED', failure_code = ?, failure_reason = ?
                    where batch_id = ? and outcome = 'PENDING'""")
                    .params(exchange.getProperty("railyardFailureCode", String.class),
                            exchange.getProperty("railyardFailureReason", String.class), batchId).update();
        }
        CurrencyCode currency = CurrencyCode.valueOf(jdbc.sql("select currency from settlement_batches where id = ?")
                .param(batchId).query(String.class).single());
        List<Map<String, String>> records = new ArrayList<>();
        Map<Integer, List<Map<String, Object>>> itemsByLine = itemsByLine(batchId);
        for (Map<String, Object> line : lines(batchId)) {
            RailOutcome outcome = RailOutcome.valueOf((String) line.get("outcome"));
            if (outcome == RailOutcome.PENDING) {
                continue;
            }
            List<Map<String, Object>> items = itemsOf(itemsByLine, line);
            Long returned = (Long) line.get("returned_minor");
            if (returned != null && items.size() > 1) {
                reviewPartReturn(batchId, line, items);
            }
            for (Map<String, Object> item : items) {
                Object status = item.get("status");
                // a late return: the whole line came back (each of its transfers, whole), or a part of a line of one
                // transfer (that transfer, in part: each new part once)
                boolean lateReturn = "SETTLED".equals(status) && (outcome == RailOutcome.RETURNED
                        || (returned != null && items.size() == 1));
                if (!"SUBMITTED".equals(status) && !lateReturn) {
                    continue;
                }
                String returnedAmount = returned != null && items.size() == 1
                        ? currency.fromMinor(returned).toPlainString() : null;
                Map<String, Object> result = RailGate.resultMessage(rail, item.get("transfer_id").toString(), null,
                        outcome, (String) line.get("rail_status"), (String) line.get("rail_reference"),
                        (String) line.get("failure_code"), (String) line.get("failure_reason"), returnedAmount);
                result.put("settlement_batch_id", batchId.toString());
                result.put("settlement_batch_line", line.get("line_no"));
                records.add(Map.of("key", item.get("transfer_id").toString(), "value",
                        json.writeValueAsString(result)));
            }
        }
        finish(batchId, rail);
        exchange.getMessage().removeHeaders("*");
        return records;
    }

    /**
     * A part of a netted line came back: the rail returned an amount of one payout paying several transfers, and which
     * of them it belongs to cannot be told (the part is no sum of its transfers the hub could pick without guessing).
     * Nothing moves: the line, its batch and its transfers are left for review (ops settle it with a refund of the
     * right transfers, or a manual resolution in reconciliation). A whole netted line that comes back is attributable
     * (each of its transfers came back whole) and is returned transfer by transfer.
     */
    private void reviewPartReturn(UUID batchId, Map<String, Object> line, List<Map<String, Object>> items) {
        if (jdbc.sql("update settlement_batch_lines set needs_review = true where batch_id = ? and line_no = ? "
                + "and not needs_review").params(batchId, line.get("line_no")).update() == 0) {
            return; // flagged before
        }
        jdbc.sql("update settlement_batches set needs_review = true where id = ?").param(batchId).update();
        for (Map<String, Object> item : items) {
            jdbc.sql("update transfers set needs_review = true where id = ?").param(item.get("transfer_id")).update();
        }
        log.error("Settlement batch {}: the rail returned {} minor units of netted line {} ({} transfers): which "
                + "transfers they belong to cannot be told, nothing is reversed; left for review", batchId,
                line.get("returned_minor"), line.get("line_no"), items.size());
    }

    /**
     * A batch with every line answered is finished; where the rail can return a settled payout and a line settled, its
     * return watch starts: {@link #dueForReturnWatch} sends it again (same batch id: a status read) during
     * {@code railyard.returns.watch-for}, as single transfers are asked again one by one.
     */
    private void finish(UUID batchId, String rail) {
        boolean watch = watchFor.compareTo(Duration.ZERO) > 0 && connectors.returns(rail);
        jdbc.sql("""
                update settlement_batches b set
                    status = case when s.settled = s.lines then 'COMPLETED' when s.settled = 0 then 'FAILED'
                                  else 'COMPLETED_WITH_FAILURES' end,
                    needs_review = b.needs_review or s.unknown > 0, completed_at = clock_timestamp(),
                    next_attempt_at = case when ? and s.settled > 0 then clock_timestamp() + make_interval(secs => ?) end,
                    return_watch_until = case when ? and s.settled > 0
                        then clock_timestamp() + make_interval(secs => ?) end
                from (select count(*) as lines, count(*) filter (where outcome = 'SETTLED') as settled,
                             count(*) filter (where outcome = 'PENDING') as pending,
                             count(*) filter (where outcome = 'UNKNOWN') as unknown
                      from settlement_batch_lines where batch_id = ?) s
                where b.id = ? and b.status = 'SUBMITTED' and s.pending = 0""")
                .params(watch, watchInterval.toMillis() / 1000.0, watch, watchFor.toMillis() / 1000.0, batchId,
                        batchId).update();
    }

    /**
     * The return watch of settled batches: each is sent to its rail again (the same batch id: the rail answers with
     * the bulk it has, executing nothing) so a late return of a line comes through the batch's own connector route,
     * as a single transfer's does through its payout route; the pause doubles (the time since the batch completed, at
     * least {@code railyard.returns.watch-interval}) until {@code railyard.returns.watch-for} is over. A transfer of a
     * batch is never asked about on its own: that would be a payout of its own. Returns the ids to send again.
     */
    @Transactional
    public List<String> dueForReturnWatch() {
        return jdbc.sql(RailGate.takeDueReturnWatches("settlement_batches", "completed_at",
                        "status in ('COMPLETED', 'COMPLETED_WITH_FAILURES')", 50) + " returning w.id::text")
                .param(watchInterval.toMillis() / 1000.0).query(String.class).list();
    }

    /**
     * The recheck sweep: batches sent without a final answer for every line are sent again (same batch id: the rail
     * answers with the bulk it already has), with doubling pauses; after {@code max-attempts} left for review.
     * Returns the ids to send again.
     */
    @Transactional
    public List<String> dueForRecheck() {
        List<UUID> due = jdbc.sql("""
                select id from settlement_batches where status = 'SUBMITTED' and next_attempt_at <= clock_timestamp()
                order by next_attempt_at limit 50 for update skip locked""").query(UUID.class).list();
        List<String> again = new ArrayList<>();
        for (UUID id : due) {
            int attempts = recheckPolicy.countAttempt("settlement_batches", id);
            if (recheckPolicy.exhausted(attempts)) {
                recheckPolicy.leaveForReview("settlement_batches", id);
                log.warn("Settlement batch {} has no final answer after {} attempts: left for review", id, attempts);
                continue;
            }
            again.add(id.toString());
        }
        return again;
    }

    /**
     * The safety net of batched rails (route {@code settlement-batch.reoffer.sweep}): a transfer of a rail batched now,
     * still ROUTED and in no settlement batch once the window of its instruction has ended (plus
     * {@code railyard.settlement-batches.reoffer-grace}, time for the window tick and the sealing), lost its place in
     * the aggregator: its instruction was consumed while PostgreSQL was unreachable (the consumer moves on), or never
     * reached the aggregator. It is offered to the aggregator again, as routed now: it joins the window open now. The
     * claim is the row lock and the new {@code updated_at} (the next look is after that window), and sealing leaves
     * out a transfer no longer ROUTED or already in a batch, so an offer racing its first group's sealing pays nothing
     * twice. The routing sweep leaves batched rails to this one (it would send them one by one). Returns the count.
     */
    @Transactional
    public int reofferStranded() {
        List<String> bulkRails = connectors.all().keySet().stream().filter(r -> connectors.batches(r).isPresent())
                .toList();
        if (bulkRails.isEmpty()) {
            return 0;
        }
        List<Map<String, Object>> stranded = jdbc.sql("""
                select id, rail, destination_currency, updated_at from transfers t
                where status = 'ROUTED' and rail in (:rails)
                    and updated_at < clock_timestamp() - make_interval(secs => :grace)
                    and not exists (select 1 from settlement_batch_items i where i.transfer_id = t.id)
                order by updated_at limit 500 for update skip locked""")
                .param("rails", bulkRails).param("grace", reofferGrace.toMillis() / 1000.0).query().listOfRows();
        Instant now = windows.now();
        int offered = 0;
        for (Map<String, Object> row : stranded) {
            String rail = (String) row.get("rail");
            String currency = (String) row.get("destination_currency");
            if (!TransferRouter.BATCH_ITEMS_TOPIC.equals(router.topicFor(rail, currency))) {
                continue; // paid one by one now: the routing sweep's
            }
            Instant routedAt = ((Timestamp) row.get("updated_at")).toInstant();
            // its group's end, as SettlementBatcher#groups made it (routed while unbatched: due at once)
            Instant end = windows.batchWindow(rail, currency, routedAt).map(SettlementWindows.BatchWindow::end)
                    .orElse(routedAt);
            if (end.plus(reofferGrace).isAfter(now)) {
                continue;
            }
            transfers.reinstruct((UUID) row.get("id"), TransferRouter.BATCH_ITEMS_TOPIC);
            offered++;
        }
        if (offered > 0) {
            log.warn("Offered {} transfers of batched rails to the aggregator again: ROUTED in no settlement batch "
                    + "after their window ended", offered);
        }
        return offered;
    }

    /** Exposes a sealed batch (body: its id) to its connector: what it needs to send it ({@link #expose}). */
    public void load(Exchange exchange) {
        expose(exchange, UUID.fromString(exchange.getIn().getBody(String.class)));
    }

    // ---- ops views ----------------------------------------------------------------------------------------------

    public Keyset.Page<Map<String, Object>> list(String rail, String status, int limit, String cursor) {
        StringBuilder sql = new StringBuilder("select * from settlement_batches where true");
        List<Object> params = new ArrayList<>();
        if (rail != null) {
            sql.append(" and rail = ?");
            params.add(rail);
        }
        if (status != null) {
            sql.append(" and status = ?");
            params.add(status);
        }
        Keyset.appendPage(sql, params, cursor, limit);
        return Keyset.page(jdbc.sql(sql.toString()).params(params).query(this::summary).list(), limit,
                view -> Instant.parse((String) view.get("created_at")), view -> UUID.fromString((String) view.get("id")));
    }

    /** One batch with its lines and, per line, its transfers. */
    public Optional<Map<String, Object>> detail(UUID id) {
        return jdbc.sql("select * from settlement_batches where id = ?").param(id).query(this::summary).optional()
                .map(batch -> {
                    CurrencyCode currency = CurrencyCode.valueOf((String) batch.get("currency"));
                    List<Map<String, Object>> lines = new ArrayList<>();
                    Map<Integer, List<Map<String, Object>>> items = itemsByLine(id);
                    for (Map<String, Object> line : lines(id)) {
                        Map<String, Object> view = new LinkedHashMap<>();
                        view.put("line", line.get("line_no"));
                        view.put("line_key", line.get("line_key").toString());
                        view.put("beneficiary", read(line.get("beneficiary").toString()));
                        view.put("amount", currency.fromMinor((Long) line.get("amount_minor")).toPlainString());
                        view.put("outcome", line.get("outcome"));
                        Long returned = (Long) line.get("returned_minor");
                        view.put("returned", returned == null ? null : currency.fromMinor(returned).toPlainString());
                        view.put("needs_review", line.get("needs_review"));
                        view.put("rail_status", line.get("rail_status"));
                        view.put("rail_reference", line.get("rail_reference"));
                        if (line.get("failure_code") != null) {
                            view.put("failure", Map.of("code", line.get("failure_code"),
                                    "reason", String.valueOf(line.get("failure_reason"))));
                        }
                        view.put("transfers", itemsOf(items, line).stream().map(item -> {
                            Map<String, Object> transfer = new LinkedHashMap<>();
                            transfer.put("transfer_id", item.get("transfer_id").toString());
                            transfer.put("amount", currency.fromMinor((Long) item.get("amount_minor")).toPlainString());
                            transfer.put("status", item.get("status"));
                            return transfer;
                        }).toList());
                        lines.add(view);
                    }
                    Map<String, Object> view = new LinkedHashMap<>(batch);
                    view.put("lines", lines);
                    return view;
                });
    }

    private Map<String, Object> summary(ResultSet rs, int row) throws SQLException {
        CurrencyCode currency = CurrencyCode.valueOf(rs.getString("currency"));
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("id", rs.getObject("id", UUID.class).toString());
        view.put("object", "settlement_batch");
        view.put("rail", rs.getString("rail"));
        view.put("currency", currency.name());
        view.put("window_end", rs.getTimestamp("window_end").toInstant().toString());
        view.put("status", rs.getString("status"));
        view.put("netting", rs.getBoolean("netting"));
        view.put("item_count", rs.getInt("item_count"));
        view.put("line_count", rs.getInt("line_count"));
        view.put("total", currency.fromMinor(rs.getLong("total_minor")).toPlainString());
        view.put("rail_batch_id", rs.getString("rail_batch_id"));
        view.put("attempts", rs.getInt("attempts"));
        view.put("needs_review", rs.getBoolean("needs_review"));
        view.put("created_at", rs.getTimestamp("created_at").toInstant().toString());
        Timestamp completed = rs.getTimestamp("completed_at");
        view.put("completed_at", completed == null ? null : completed.toInstant().toString());
        return view;
    }

    private List<Map<String, Object>> lines(UUID batchId) {
        return jdbc.sql("select * from settlement_batch_lines where batch_id = ? order by line_no").param(batchId)
                .query().listOfRows();
    }

    /** The transfers of every line of the batch (by line number), read by one statement whatever the lines. */
    private Map<Integer, List<Map<String, Object>>> itemsByLine(UUID batchId) {
        Map<Integer, List<Map<String, Object>>> byLine = new HashMap<>();
        jdbc.sql("""
                select i.line_no, i.transfer_id, i.amount_minor, t.status from settlement_batch_items i
                join transfers t on t.id = i.transfer_id
                where i.batch_id = ? order by i.line_no, t.created_at, t.id""").param(batchId).query().listOfRows()
                .forEach(item -> byLine.computeIfAbsent((Integer) item.get("line_no"), k -> new ArrayList<>())
                        .add(item));
        return byLine;
    }

    private static List<Map<String, Object>> itemsOf(Map<Integer, List<Map<String, Object>>> byLine,
            Map<String, Object> line) {
        return byLine.getOrDefault((Integer) line.get("line_no"), List.of());
    }

    /** Canonical JSON (keys sorted): equal beneficiaries are equal texts, the netting key. */
    private String write(Map<String, Object> value) {
        try {
            return canonical.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("not serialisable", e);
        }
    }

    private Map<String, Object> read(String value) {
        try {
            return json.readValue(value, MAP);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored JSON is unreadable", e);
        }
    }
}
