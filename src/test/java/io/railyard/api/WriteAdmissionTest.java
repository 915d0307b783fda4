package io.railyard.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.MeterRegistry;
import io.railyard.HubTest;
import io.railyard.idempotency.Idempotency;
import io.railyard.ledger.AccountKind;
import io.railyard.ledger.CurrencyCode;
import io.railyard.transfer.TransferFixtures;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;

/** Partner writes are bounded ({@code railyard.api.max-concurrent-writes}): one over the bound waits, then is refused. */
class WriteAdmissionTest extends HubTest {

    @Autowired
    DataSource dataSource;
    @Autowired
    MeterRegistry meters;
    @Value("${railyard.api.max-concurrent-writes:12}")
    int maxConcurrentWrites;

    @Test
    void aWriteOverTheBoundIsRefused503OverCapacityHavingWrittenNothingAndGoesThroughWhenSentAgain() throws Exception {
        TestPartner busy = newPartner("1000 BRL");
        TestPartner other = newPartner("1000 MXN");
        ExecutorService clients = Executors.newFixedThreadPool(maxConcurrentWrites);
        List<CompletableFuture<Reply>> held = new ArrayList<>();
        try (Connection lock = dataSource.getConnection()) {
            // every write of `busy` stops at its hold, waiting for this lock on its balance, and keeps its turn meanwhile
            lock.setAutoCommit(false);
            try (PreparedStatement row = lock.prepareStatement("select balance_minor from ledger_accounts "
                    + "where owner_type = 'PARTNER' and owner_id = ? and currency = 'BRL' and kind = 'AVAILABLE' for update")) {
                row.setString(1, busy.id().toString());
                assertThat(row.executeQuery().next()).isTrue();
            }
            for (int i = 0; i < maxConcurrentWrites; i++) {
                held.add(CompletableFuture.supplyAsync(() -> transfer(busy, UUID.randomUUID().toString(),
                        TransferFixtures.pix("1.00")), clients));
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> jdbc.sql(
                    "select count(*) from pg_stat_activity where wait_event_type = 'Lock' and query like '%ledger%'")
                    .query(Long.class).single() >= maxConcurrentWrites);

            String key = UUID.randomUUID().toString();
            double refusedBefore = meters.counter("railyard.api.writes.refused").count();
            Reply refused = transfer(other, key, TransferFixtures.spei("5.00"));
            assertThat(refused.status()).as(refused.toString()).isEqualTo(503);
            assertThat(refused.contentType()).isEqualTo(Problem.MEDIA_TYPE);
            assertThat(refused.json().get("code").asText()).isEqualTo("over_capacity");
            assertThat(refused.json().get("type").asText()).isEqualTo("https://railyard.dev/problems/over-capacity");
            assertThat(refused.header("Retry-After")).isEqualTo("5");
            assertThat(meters.counter("railyard.api.writes.refused").count()).isEqualTo(refusedBefore + 1);
            assertThat(jdbc.sql("select count(*) from transfers where partner_id = ?").param(other.id())
                    .query(Long.class).single()).isZero();
            assertThat(jdbc.sql("select count(*) from idempotency_records where idem_key = ?").param(key)
                    .query(Long.class).single()).isZero();
            assertThat(ledger.balance(other.account(CurrencyCode.MXN, AccountKind.AVAILABLE)))
                    .isEqualTo(CurrencyCode.MXN.toMinor(new BigDecimal("1000")));

            lock.rollback(); // the held writes go on
            for (CompletableFuture<Reply> write : held) {
                Reply reply = write.get();
                assertThat(reply.status()).as(reply.toString()).isEqualTo(201);
            }
            Reply again = transfer(other, key, TransferFixtures.spei("5.00"));
            assertThat(again.status()).as(again.toString()).isEqualTo(201);
            assertThat(again.header(Idempotency.REPLAYED)).isNull();
        } finally {
            clients.shutdownNow();
        }
    }

    private Reply transfer(TestPartner partner, String key, Object body) {
        return call("POST", "/v1/transfers").as(partner).header("Idempotency-Key", key).json(body).send();
    }
}
