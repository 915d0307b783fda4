package io.railyard.routing;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.railyard.connector.ConnectorRegistry;
import io.railyard.ledger.AccountKey;
import io.railyard.ledger.AccountKind;
import io.railyard.ledger.EntryRequest;
import io.railyard.outbox.PolledBatches;
import io.railyard.transfer.Transfer;
import io.railyard.transfer.TransferStatus;
import io.railyard.transfer.Transfers;
import io.railyard.window.SettlementWindows;
import java.io.IOException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;

/**
 * The routing stage, driven by the {@code routing.transfer.decide} route: an accepted transfer gets its rail from the
 * routing table and moves to ROUTED, whose event is the instruction on {@code railyard.rail.<rail>.instruction.v1}
 * (a batched rail's: on {@link #BATCH_ITEMS_TOPIC}, for its window's settlement batch);
 * when the rail's settlement window is closed it waits in QUEUED until the window opens ({@link #releaseDue}).
 * Re-delivered events find the transfer already routed and change nothing. A transfer no rule fits fails with
 * {@code no_route} and its hold is released.
 */
@Component("transferRouter")
public class TransferRouter {

    private static final Logger log = LoggerFactory.getLogger(TransferRouter.class);
    /** Instructions of batched rails, aggregated per rail and window into settlement batches. */
    public static final String BATCH_ITEMS_TOPIC = "railyard.settlement-batch.items.v1";

    private final RoutingTable table;
    private final Transfers transfers;
    private final JdbcClient jdbc;
    private final ObjectMapper json;
    private final int sweepAfterSeconds;
    private final SettlementWindows windows;
    private final ConnectorRegistry connectors;
    private final PolledBatches polled;

    public TransferRouter(RoutingTable table, Transfers transfers, JdbcClient jdbc, ObjectMapper json,
            SettlementWindows windows, ConnectorRegistry connectors, PolledBatches polled,
            @Value("${railyard.routing.sweep-after-seconds:30}") int sweepAfterSeconds) {
        this.table = table;
        this.windows = windows;
        this.connectors = connectors;
        this.transfers = transfers;
        this.jdbc = jdbc;
        this.json = json;
        this.sweepAfterSeconds = sweepAfterSeconds;
        this.polled = polled;
    }

    public static String instructionTopic(String rail) {
        return "railyard.rail." + rail + ".instruction.v1";
    }

    /**
     * Where a routed transfer's instruction goes now: its rail's own topic, or, when config/rails.yaml batches the rail
     * (and its connector takes bulk payouts), the window aggregator's topic (io.railyard.settlementbatch).
     */
    public String topicFor(String rail, String currency) {
        if (windows.batchWindow(rail, currency, windows.now()).isEmpty()) {
            return instructionTopic(rail);
        }
        if (connectors.batches(rail).isEmpty()) {
            log.error("config/rails.yaml batches {} but its connector declares no bulk payouts: sent one by one", rail);
            return instructionTopic(rail);
        }
        return BATCH_ITEMS_TOPIC;
    }

    /**
     * A poll's {@code transfer.accepted} events (route {@code routing.transfer.decide}): their transfers routed in one
     * transaction, the holds of those no rule fits released at its end ({@link PolledBatches#apply}; if that fails,
     * one transfer at a time).
     */
    public void onAcceptedPolled(List<Exchange> records) {
        Set<UUID> accepted = new LinkedHashSet<>(); // an event relayed twice asks once
        for (Exchange record : records) {
            try {
                accepted.add(UUID.fromString(json.readTree(record.getMessage().getBody(String.class))
                        .path("data").path("id").asText()));
            } catch (IOException | IllegalArgumentException e) {
                log.error("A transfer.accepted event naming no transfer was skipped: {}", e.getMessage());
            }
        }
        polled.apply(List.copyOf(accepted), routingOnePoll(), id -> "Accepted transfer " + id);
    }

    /**
     * Routes the transfers of one poll: those of a transaction locked by one statement, each rail's window looked at
     * once for the whole poll (its state includes the ops override, a database read, the same for every transfer).
     */
    private Function<List<UUID>, BiConsumer<UUID, Consumer<EntryRequest>>> routingOnePoll() {
        Map<String, SettlementWindows.State> seen = new HashMap<>();
        WindowOf windowOf = (rail, currency) -> seen.computeIfAbsent(rail + "/" + currency,
                key -> windows.now(rail, currency));
        return ids -> {
            // locked: the consumer and the routing sweep may route one transfer at once; the second waits, then sees
            // it routed
            Map<UUID, Transfer> locked = transfers.lockAll(ids);
            return (transferId, post) -> route(locked.get(transferId), post, windowOf);
        };
    }

    /** A rail's settlement window for a currency, now. */
    private interface WindowOf {
        SettlementWindows.State now(String rail, String currency);
    }

    /**
     * {@code transfer}: locked, null if unknown; {@code post}: the ledger's, or a collector whose entries are posted at
     * the end of the transaction.
     */
    private void route(Transfer transfer, Consumer<EntryRequest> post, WindowOf windowOf) {
        if (transfer == null || transfer.status() != TransferStatus.ACCEPTED) {
            return; // already routed (a redelivery) or cancelled meanwhile
        }
        UUID transferId = transfer.id();
        Optional<RoutingTable.Decision> decision = table.decide(transfer);
        if (decision.isEmpty()) {
            transfers.transition(transferId, TransferStatus.FAILED, "no routing rule fits",
                    Transfers.Changes.failure("no_route", "no rail settles this destination"), null);
            post.accept(EntryRequest.move("transfer.release", transferId.toString(),
                    AccountKey.partner(transfer.partnerId().toString(), transfer.sourceCurrency(), AccountKind.IN_FLIGHT),
                    AccountKey.partner(transfer.partnerId().toString(), transfer.sourceCurrency(), AccountKind.AVAILABLE),
                    transfer.sourceAmountMinor()));
            return;
        }
        RoutingTable.Decision route = decision.get();
        dispatch(transfer, route.rail(), route.fallback(), route.reason(), windowOf);
    }

    /**
     * Sends a transfer on to its fallback rail (its rail refused it, or is unavailable): ROUTED there like any routed
     * transfer, so the fallback's own window and batching apply. The transfer keeps its hold.
     */
    @Transactional
    public Transfer reroute(Transfer transfer, String fallback, String reason) {
        return dispatch(transfer, fallback, null, reason, windows::now);
    }

    /** ROUTED to {@code rail}, instructed now (one by one, or in its settlement batch) or QUEUED until its window opens. */
    private Transfer dispatch(Transfer transfer, String rail, String fallback, String reason, WindowOf windowOf) {
        Transfers.Changes routed = new Transfers.Changes(rail, fallback, reason, null, null, null, null);
        SettlementWindows.State window = windowOf.now(rail, transfer.destinationCurrency().name());
        if (window.open()) {
            String topic = topicFor(rail, transfer.destinationCurrency().name());
            String why = topic.equals(BATCH_ITEMS_TOPIC)
                    ? reason + " (batched: sent in the rail's settlement batch when its window ends)" : reason;
            return transfers.transition(transfer.id(), TransferStatus.ROUTED, why, routed, topic);
        }
        transfers.transition(transfer.id(), TransferStatus.ROUTED, reason, routed, null);
        return queue(transfer.id(), window);
    }

    private Transfer queue(UUID transferId, SettlementWindows.State window) {
        Instant release = releaseTime(window);
        return transfers.transition(transferId, TransferStatus.QUEUED, "window closed (" + window.closedBecause()
                + "), released at " + release, new Transfers.Changes(null, null, null, null, null, null, release),
                null);
    }

    /** The window's next opening; a window closed until ops clear it is looked at again every minute. */
    private Instant releaseTime(SettlementWindows.State window) {
        return window.nextOpen() != null ? window.nextOpen() : windows.now().plusSeconds(60);
    }

    /**
     * Releases QUEUED transfers whose {@code release_at} has come (their rail was unavailable, or its window closed):
     * back to ROUTED, with a new instruction to their rail. Oldest first.
     */
    @Transactional
    public int releaseDue() {
        List<UUID> due = jdbc.sql("""
                select id from transfers where status = 'QUEUED' and release_at <= clock_timestamp()
                order by release_at, created_at limit 500 for update skip locked""")
                .query(UUID.class).list();
        int released = 0;
        for (UUID id : due) {
            Transfer transfer = transfers.require(id);
            SettlementWindows.State window = windows.now(transfer.rail(), transfer.destinationCurrency().name());
            if (!window.open()) { // closed again meanwhile (an ops override): wait for the next opening
                jdbc.sql("update transfers set release_at = ? where id = ?")
                        .params(Timestamp.from(releaseTime(window)), id).update();
                continue;
            }
            release(id, "released from the queue");
            released++;
        }
        return released;
    }

    /** Sends a QUEUED transfer to its rail now (also the ops emergency release, whatever the window says). */
    @Transactional
    public Transfer release(UUID transferId, String reason) {
        Transfer transfer = transfers.require(transferId);
        return transfers.transition(transferId, TransferStatus.ROUTED, reason, Transfers.Changes.NONE,
                topicFor(transfer.rail(), transfer.destinationCurrency().name()));
    }

    /**
     * The safety net, from the database, which is the source of truth: transfers still ACCEPTED a while after
     * acceptance (an event lost with an in-memory broker, a crash between consume and commit) are routed as a poll of
     * the consumer is ({@link PolledBatches#apply}: one that cannot be routed is logged and left to the next sweep, and
     * holds back no other); transfers still ROUTED a while after routing get their instruction again. A consumer skips
     * an event it failed on, so an instruction consumed while the database was unreachable left its transfer ROUTED,
     * never claimed; a second instruction for a transfer whose first is merely slow is harmless: one claim wins, the
     * other finds it claimed.
     */
    public int sweep() {
        List<UUID> stale = jdbc.sql("""
                select id from transfers where status = 'ACCEPTED'
                and created_at < clock_timestamp() - make_interval(secs => ?) order by created_at limit 500""")
                .param(sweepAfterSeconds).query(UUID.class).list();
        polled.apply(stale, routingOnePoll(), id -> "Stale accepted transfer " + id);
        if (!stale.isEmpty()) {
            log.warn("Routed {} transfers left ACCEPTED for over {} s", stale.size(), sweepAfterSeconds);
        }
        // a transfer of a batched rail waits ROUTED in its window's settlement batch by design: never re-instructed
        // one by one (it would leave its batch); one whose aggregation was lost is offered to the aggregator again by
        // SettlementBatches#reofferStranded once its window has ended
        // (the batched ones are left out before the 500 are counted, by rail and currency in the query: however many
        // wait in windows, none hides the rest, and none is fetched)
        List<String[]> single = jdbc.sql("""
                select distinct rail, destination_currency from transfers where status = 'ROUTED'
                and updated_at < clock_timestamp() - make_interval(secs => ?)""")
                .param(sweepAfterSeconds).query((rs, n) -> new String[] {rs.getString(1), rs.getString(2)}).list()
                .stream().filter(pair -> !BATCH_ITEMS_TOPIC.equals(topicFor(pair[0], pair[1]))).toList();
        List<Map<String, Object>> unclaimed = single.isEmpty() ? List.of() : jdbc.sql("""
                select t.id, t.rail from transfers t
                join unnest(?::text[], ?::text[]) as s(rail, currency)
                  on s.rail = t.rail and s.currency = t.destination_currency
                where t.status = 'ROUTED' and t.updated_at < clock_timestamp() - make_interval(secs => ?)
                order by t.updated_at limit 500""")
                .params(single.stream().map(pair -> pair[0]).toArray(String[]::new),
                        single.stream().map(pair -> pair[1]).toArray(String[]::new), sweepAfterSeconds)
                .query().listOfRows();
        unclaimed.forEach(t -> transfers.reinstruct((UUID) t.get("id"), instructionTopic((String) t.get("rail"))));
        if (!unclaimed.isEmpty()) {
            log.warn("Instructed again {} transfers left ROUTED for over {} s", unclaimed.size(), sweepAfterSeconds);
        }
        return stale.size() + unclaimed.size();
    }
}
