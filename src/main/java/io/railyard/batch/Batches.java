package io.railyard.batch;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.railyard.api.ApiProblem;
import io.railyard.api.Problem;
import io.railyard.id.RowIds;
import io.railyard.ledger.CurrencyCode;
import io.railyard.outbox.Outbox;
import io.railyard.transfer.Transfer;
import io.railyard.transfer.TransferStatus;
import io.railyard.transfer.TransferValidator;
import io.railyard.transfer.Transfers;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.apache.camel.Body;
import org.apache.camel.Header;
import org.apache.camel.ProducerTemplate;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Batches and mass payouts. A checked batch is accepted in one transaction: the batch row, then the valid items
 * through the normal transfer pipeline in slices (Camel split, route {@code batch.items.accept}), then the refused
 * items of a partial batch. An item's status is its transfer's; the batch completes (route {@code batch.completion.aggregate})
 * once every item is final, announced by a {@code batch.completed} event.
 */
@Service("batches")
public class Batches {

    public static final String EVENTS_TOPIC = "railyard.batch.events.v1";
    private static final Set<String> FINAL_EVENTS = Set.of("transfer.settled", "transfer.failed", "transfer.returned",
            "transfer.cancelled");

    private final JdbcClient jdbc;
    private final JdbcTemplate template;
    private final Transfers transfers;
    private final Outbox outbox;
    private final ProducerTemplate camel;
    private final ObjectMapper json;

    public Batches(JdbcClient jdbc, JdbcTemplate template, Transfers transfers, Outbox outbox, ProducerTemplate camel,
            ObjectMapper json) {
        this.jdbc = jdbc;
        this.template = template;
        this.transfers = transfers;
        this.outbox = outbox;
        this.camel = camel;
        this.json = json;
    }

    /** Accepts a checked batch (atomic: only when every item is valid; partial: the valid ones). */
    @Transactional
    public Map<String, Object> create(UUID partnerId, String mode, String source, BatchValidator.Checked checked) {
        if (!checked.errors().isEmpty() && ("atomic".equals(mode) || checked.valid().isEmpty())) {
            long invalid = checked.errors().stream().map(Problem.FieldError::index).distinct().count();
            throw new ApiProblem(Problem.of(422, "batch_invalid", "Batch refused", invalid + " of " + checked.total()
                    + " items are invalid; nothing was accepted" + ("atomic".equals(mode) ? " (mode atomic)" : ""),
                    "items").withErrors(checked.errors()));
        }
        UUID batchId = RowIds.next();
        jdbc.sql("""
                insert into batches (id, partner_id, status, mode, source, total_items, valid_items)
                values (?, ?, 'PROCESSING', ?, ?, ?, ?)""")
                .params(batchId, partnerId, mode, source, checked.total(), checked.valid().size()).update();
        camel.sendBodyAndHeaders("direct:batch.items.accept", checked.valid(),
                Map.of("batchId", batchId, "partnerId", partnerId));
        template.batchUpdate("insert into batch_items (batch_id, item_index, line, errors) values (?, ?, ?, ?::jsonb)",
                checked.errorsByIndex().entrySet().stream().map(refused -> new Object[] {batchId, refused.getKey(),
                        refused.getValue().get(0).line(), write(refused.getValue())}).toList());
        return summary(partnerId, batchId).orElseThrow();
    }

    /** A slice of the valid items, accepted together as transfers of the batch (the split in {@code batch.items.accept}). */
    public void acceptItems(@Header("batchId") UUID batchId, @Header("partnerId") UUID partnerId,
            @Body List<BatchValidator.Accepted> items) {
        List<Transfer> accepted = transfers.acceptAll(partnerId,
                items.stream().map(BatchValidator.Accepted::transfer).toList(), batchId);
        jdbc.sql("""
                insert into batch_items (batch_id, item_index, line, reference, transfer_id)
                select ?, i.item_index, i.line, i.reference, i.transfer_id
                from unnest(?::int[], ?::int[], ?::text[], ?::uuid[]) as i(item_index, line, reference, transfer_id)""")
                .params(batchId, items.stream().map(item -> item.item().index()).toArray(Integer[]::new),
                        items.stream().map(item -> item.item().line()).toArray(Integer[]::new),
                        items.stream().map(item -> item.transfer().reference()).toArray(String[]::new),
                        accepted.stream().map(Transfer::id).toArray(UUID[]::new))
                .update();
    }

    /** Status, counts per item status, totals per currency and progress; empty for another partner's batch. */
    public Optional<Map<String, Object>> summary(UUID partnerId, UUID batchId) {
        return jdbc.sql("select * from batches where id = ? and partner_id = ?").params(batchId, partnerId)
                .query((rs, n) -> {
                    Map<String, Object> view = new LinkedHashMap<>();
                    view.put("id", batchId.toString());
                    view.put("object", "batch");
                    view.put("partner_id", partnerId.toString());
                    view.put("status", rs.getString("status"));
                    view.put("mode", rs.getString("mode"));
                    view.put("source", rs.getString("source"));
                    view.put("created_at", rs.getTimestamp("created_at").toInstant().toString());
                    if (rs.getTimestamp("completed_at") != null) {
                        view.put("completed_at", rs.getTimestamp("completed_at").toInstant().toString());
                    }
                    return view;
                }).optional().map(view -> {
                    Map<String, Object> counts = new LinkedHashMap<>();
                    long done = 0;
                    long total = 0;
                    for (Map<String, Object> row : jdbc.sql("""
                            select coalesce(t.status, 'INVALID') as status, count(*) as n from batch_items i
                            left join transfers t on t.id = i.transfer_id where i.batch_id = ? group by 1 order by 1""")
                            .param(batchId).query().listOfRows()) {
                        long n = ((Number) row.get("n")).longValue();
                        counts.put((String) row.get("status"), n);
                        total += n;
                        String status = (String) row.get("status");
                        if ("INVALID".equals(status) || TransferStatus.valueOf(status).isFinal()) {
                            done += n;
                        }
                    }
                    view.put("counts", counts);
                    view.put("totals", totals(batchId));
                    view.put("progress", Map.of("done", done, "total", total));
                    return view;
                });
    }

    private Map<String, Object> totals(UUID batchId) {
        Map<String, Object> totals = new LinkedHashMap<>();
        jdbc.sql("""
                select t.source_currency as currency, sum(t.source_amount_minor) as accepted,
                    sum(t.source_amount_minor) filter (where t.status = 'SETTLED') as settled
                from batch_items i join transfers t on t.id = i.transfer_id where i.batch_id = ? group by 1 order by 1""")
                .param(batchId).query().listOfRows().forEach(row -> {
                    CurrencyCode currency = CurrencyCode.valueOf((String) row.get("currency"));
                    Number settled = (Number) row.get("settled");
                    totals.put(currency.name(), Map.of(
                            "accepted", currency.fromMinor(((Number) row.get("accepted")).longValue()).toPlainString(),
                            "settled", currency.fromMinor(settled == null ? 0 : settled.longValue()).toPlainString()));
                });
        return totals;
    }

    /** Items by index, cursor = the last index seen; {@code status} filters on the item's status. */
    public List<Map<String, Object>> items(UUID batchId, String status, int afterIndex, int limit) {
        return jdbc.sql("""
                select i.item_index, i.line, i.reference, i.attempts, i.errors::text as errors, t.id as transfer_id,
                    coalesce(t.status, 'INVALID') as status, t.rail, t.rail_reference, t.failure_code,
                    t.source_currency, t.source_amount_minor
                from batch_items i left join transfers t on t.id = i.transfer_id
                where i.batch_id = ? and i.item_index > ? and (?::text is null or coalesce(t.status, 'INVALID') = ?)
                order by i.item_index limit ?""")
                .params(batchId, afterIndex, status, status, limit)
                .query((rs, n) -> {
                    Map<String, Object> item = new LinkedHashMap<>();
                    item.put("index", rs.getInt("item_index"));
                    if (rs.getObject("line") != null) {
                        item.put("line", rs.getInt("line"));
                    }
                    item.put("status", rs.getString("status"));
                    item.put("reference", rs.getString("reference"));
                    item.put("attempts", rs.getInt("attempts"));
                    if (rs.getString("transfer_id") != null) {
                        CurrencyCode currency = CurrencyCode.valueOf(rs.getString("source_currency"));
                        item.put("transfer_id", rs.getString("transfer_id"));
                        item.put("amount", currency.fromMinor(rs.getLong("source_amount_minor")).toPlainString());
                        item.put("currency", currency.name());
                        item.put("rail", rs.getString("rail"));
                        item.put("rail_reference", rs.getString("rail_reference"));
                        item.put("failure_code", rs.getString("failure_code"));
                    }
                    if (rs.getString("errors") != null) {
                        item.put("errors", read(rs.getString("errors")));
                    }
                    return item;
                }).list();
    }

    /**
     * Re-submits the FAILED items: each gets a new transfer (a new attempt, same item) in one transaction. Settled,
     * in-flight and refused items are left alone, so a retry can never pay an item twice.
     */
    @Transactional
    public Map<String, Object> retry(UUID partnerId, UUID batchId) {
        summary(partnerId, batchId).orElseThrow(() -> ApiProblem.notFound("batch " + batchId));
        jdbc.sql("select id from batches where id = ? for update").param(batchId).query(UUID.class).single();
        List<Map<String, Object>> failed = jdbc.sql("""
                select i.item_index, i.transfer_id from batch_items i join transfers t on t.id = i.transfer_id
                where i.batch_id = ? and t.status = 'FAILED' order by i.item_index""")
                .param(batchId).query().listOfRows();
        List<Transfer> again = transfers.acceptAll(partnerId, failed.stream()
                .map(item -> transfers.require((UUID) item.get("transfer_id"))).map(old -> new TransferValidator.Valid(
                        old.protocol(), old.sourceCurrency(), old.sourceAmountMinor(), old.destinationCurrency(),
                        old.destinationCountry(), old.beneficiary(), old.protocolMetadata(), old.metadata(),
                        old.reference())).toList(), batchId);
        List<Object[]> attempts = new ArrayList<>();
        List<Object[]> items = new ArrayList<>();
        for (int i = 0; i < failed.size(); i++) {
            Object index = failed.get(i).get("item_index");
            attempts.add(new Object[] {batchId, index, failed.get(i).get("transfer_id")});
            items.add(new Object[] {again.get(i).id(), batchId, index});
        }
        template.batchUpdate("insert into batch_item_attempts (batch_id, item_index, transfer_id) values (?, ?, ?)",
                attempts);
        template.batchUpdate("update batch_items set transfer_id = ?, attempts = attempts + 1 "
                + "where batch_id = ? and item_index = ?", items);
        if (!failed.isEmpty()) {
            jdbc.sql("update batches set status = 'PROCESSING', completed_at = null where id = ?").param(batchId)
                    .update();
        }
        Map<String, Object> view = new LinkedHashMap<>(summary(partnerId, batchId).orElseThrow());
        view.put("retried_items", failed.size());
        return view;
    }

    /** The batch of a final transfer event, or null (the completion aggregator's filter). */
    public String batchIdOf(String event) throws JsonProcessingException {
        JsonNode node = json.readTree(event);
        JsonNode batch = node.path("data").path("batch_id");
        return FINAL_EVENTS.contains(node.path("type").asText()) && batch.isTextual() ? batch.asText() : null;
    }

    public boolean allFinal(String batchId) {
        return jdbc.sql("""
                select count(*) from batch_items i join transfers t on t.id = i.transfer_id
                where i.batch_id = ?::uuid and t.status not in ('SETTLED', 'FAILED', 'RETURNED', 'CANCELLED')""")
                .param(batchId).query(Long.class).single() == 0;
    }

    /** Marks the batch completed once (if every item is final) and writes its {@code batch.completed} event. */
    @Transactional
    public boolean complete(String batchId) {
        UUID id = UUID.fromString(batchId);
        if (!allFinal(batchId)) {
            return false;
        }
        Map<String, Object> counts = jdbc.sql("""
                select count(*) filter (where t.status = 'SETTLED') as settled, count(*) as items
                from batch_items i left join transfers t on t.id = i.transfer_id where i.batch_id = ?""")
                .param(id).query().singleRow();
        long settled = ((Number) counts.get("settled")).longValue();
        long items = ((Number) counts.get("items")).longValue();
        String status = settled == items ? "COMPLETED" : settled == 0 ? "FAILED" : "COMPLETED_WITH_FAILURES";
        UUID partnerId = jdbc.sql("""
                update batches set status = ?, completed_at = clock_timestamp() where id = ? and status = 'PROCESSING'
                returning partner_id""").params(status, id).query(UUID.class).optional().orElse(null);
        if (partnerId == null) {
            return false; // completed before: the event was written then
        }
        outbox.append(EVENTS_TOPIC, batchId, "batch.completed", summary(partnerId, id).orElseThrow());
        return true;
    }

    /** Safety net for completion events lost with an in-memory broker: completes what is final. */
    @Transactional
    public int sweep() {
        int completed = 0;
        for (UUID id : jdbc.sql("select id from batches where status = 'PROCESSING' order by created_at limit 200")
                .query(UUID.class).list()) {
            if (complete(id.toString())) {
                completed++;
            }
        }
        return completed;
    }

    private String write(Object value) {
        try {
            return json.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private Object read(String value) {
        try {
            return json.readValue(value, Object.class);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
