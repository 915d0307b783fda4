package io.railyard.settlement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.railyard.HubTest;
import io.railyard.ledger.AccountKind;
import io.railyard.ledger.CurrencyCode;
import io.railyard.ledger.LedgerInvariants;
import io.railyard.transfer.TransferFixtures;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Every rail answering 20% 5xx and hanging past the client timeout 10% of the time: 1,000 transfers still all reach a
 * final state, no sandbox executed a key twice, and the ledger balances.
 */
class RailFaultsTest extends HubTest {

    private static final List<String> SANDBOXES = List.of("pix", "spei", "circle", "base");

    @AfterEach
    void healRails() {
        SANDBOXES.forEach(rail -> call("DELETE", "/v1/ops/sandbox/" + rail + "/faults").asOps().send());
    }

    @Test
    void aThousandTransfersUnderFaultsAllEndFinalAndNonePaidTwice() throws Exception {
        SANDBOXES.forEach(rail -> assertThat(call("PUT", "/v1/ops/sandbox/" + rail + "/faults").asOps()
                .json(Map.of("error_rate", 0.2, "timeout_rate", 0.1)).send().status()).isEqualTo(200));
        TestPartner partner = newPartner("100000 BRL", "100000 MXN", "100000 USDC");
        List<Function<String, Map<String, Object>>> kinds = List.of(TransferFixtures::pix, TransferFixtures::spei,
                TransferFixtures::circle, TransferFixtures::base);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<String>> created = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            Map<String, Object> body = kinds.get(i % 4).apply("1.00");
            created.add(pool.submit(() -> {
                Reply reply = call("POST", "/v1/transfers").as(partner)
                        .header("Idempotency-Key", UUID.randomUUID().toString()).json(body).send();
                assertThat(reply.status()).as(reply.toString()).isEqualTo(201);
                return reply.json().get("id").asText();
            }));
        }
        List<String> ids = new ArrayList<>();
        for (Future<String> id : created) {
            ids.add(id.get());
        }
        pool.shutdown();

        await().atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofSeconds(2)).until(() -> jdbc.sql("""
                select count(*) from transfers where partner_id = ?
                and status in ('SETTLED', 'FAILED', 'RETURNED', 'CANCELLED')""")
                .param(partner.id()).query(Long.class).single() == 1000);

        assertThat(jdbc.sql("select count(*) from transfers where partner_id = ? and status = 'SETTLED'")
                .param(partner.id()).query(Long.class).single()).as("faults are transient: all settle").isEqualTo(1000);
        for (String rail : SANDBOXES) {
            JsonNode executions = call("GET", "/v1/ops/sandbox/" + rail + "/executions").asOps().send().json();
            executions.get("by_key").forEach(count -> assertThat(count.asInt()).as(rail + " executions per key")
                    .isEqualTo(1));
        }
        for (CurrencyCode currency : List.of(CurrencyCode.BRL, CurrencyCode.MXN, CurrencyCode.USDC)) {
            assertThat(ledger.balance(partner.account(currency, AccountKind.IN_FLIGHT))).isZero();
        }
        assertThat(ledger.balance(partner.account(CurrencyCode.USDC, AccountKind.AVAILABLE)))
                .isEqualTo(100_000_000_000L - 500 * 1_000_000L);
        LedgerInvariants.assertHold(jdbc);
    }
}
