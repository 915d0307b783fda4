package io.railyard.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.railyard.HubTest;
import io.railyard.ledger.LedgerInvariants;
import io.railyard.transfer.TransferFixtures;
import io.railyard.window.SettlementWindows;
import io.railyard.window.TestRailsTable;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * One full settlement batch through the whole hub: {@code bench.transfers} (default 1000) USDC transfers to
 * {@code bench.beneficiaries} (default 50) Circle wallets, sent by 8 clients, batched with netting and completed by
 * size (the connector's 1,000 lines). Prints how long acceptance took and how long from the last acceptance until every
 * transfer was SETTLED (routing, aggregation in the JDBC repository, sealing, one bulk request, 1,000 results).
 * Not part of {@code verify}: {@code mvn -B -o -Dtest=SettlementBatchBench -Dsurefire.failIfNoSpecifiedTests=false verify}.
 */
class SettlementBatchBench extends HubTest {

    @Autowired
    SettlementWindows windows;

    @AfterEach
    void unbatch() {
        TestRailsTable.restore();
        windows.reloadIfChanged();
    }

    @Test
    void oneFullBatch() throws Exception {
        int transfers = Integer.getInteger("bench.transfers", 1000);
        int beneficiaries = Integer.getInteger("bench.beneficiaries", 50);
        TestRailsTable.write(rails -> ((ObjectNode) rails.get("circle-usdc")).set("batching",
                JSON.valueToTree(Map.of("window", "P1D", "max-items", transfers, "netting", true))));
        windows.reloadIfChanged();
        TestPartner partner = newPartner("100000 USDC");
        List<String> wallets = IntStream.range(0, beneficiaries).mapToObj(i -> "bench" + UUID.randomUUID()
                .toString().substring(0, 8)).toList();
        ExecutorService clients = Executors.newFixedThreadPool(8);
        long start = System.nanoTime();
        List<Future<String>> created = IntStream.range(0, transfers).mapToObj(i -> clients.submit(() -> {
            Reply reply = call("POST", "/v1/transfers").as(partner).header("Idempotency-Key", UUID.randomUUID()
                    .toString()).json(TransferFixtures.body("1.000001", "USDC", Map.of("currency", "USDC",
                            "network", "circle", "circle_wallet_id", wallets.get(i % beneficiaries)))).send();
            assertThat(reply.status()).as(reply.toString()).isEqualTo(201);
            return reply.json().get("id").asText();
        })).toList();
        for (Future<String> id : created) {
            id.get();
        }
        long accepted = System.nanoTime();
        clients.shutdown();
        await().atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofMillis(200)).until(() -> jdbc.sql(
                "select count(*) from transfers where partner_id = ? and status = 'SETTLED'").param(partner.id())
                .query(Long.class).single() == transfers);
        long settled = System.nanoTime();
        Map<String, Object> batch = jdbc.sql("""
                select b.line_count, b.item_count, b.created_at from settlement_batches b
                join settlement_batch_items i on i.batch_id = b.id join transfers t on t.id = i.transfer_id
                where t.partner_id = ? group by b.id""").param(partner.id()).query().singleRow();
        assertThat(batch.get("item_count")).isEqualTo(transfers);
        assertThat(batch.get("line_count")).isEqualTo(beneficiaries);
        LedgerInvariants.assertHold(jdbc);
        System.out.printf("BENCH settlement batch: %d transfers accepted in %d ms; last accepted -> all %d SETTLED in "
                + "%d ms (one batch, %d lines, sealed at %s, measured at %s)%n", transfers,
                (accepted - start) / 1_000_000, transfers, (settled - accepted) / 1_000_000, beneficiaries,
                batch.get("created_at"), Instant.now());
    }
}
