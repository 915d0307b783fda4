package io.railyard.idempotency;

import static org.assertj.core.api.Assertions.assertThat;

import io.railyard.HubTest;
import io.railyard.ledger.AccountKind;
import io.railyard.ledger.CurrencyCode;
import io.railyard.ledger.LedgerInvariants;
import io.railyard.transfer.TransferFixtures;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class IdempotencyTest extends HubTest {

    @Test
    void theSameRequestWithTheSameKeyIsReplayedAndMovesMoneyOnce() {
        TestPartner partner = newPartner("100 BRL");
        String key = UUID.randomUUID().toString();
        Map<String, Object> body = TransferFixtures.pix("10.00");

        Reply first = create(partner, key, body);
        Reply replay = create(partner, key, body);

        assertThat(first.status()).isEqualTo(201);
        assertThat(first.header(Idempotency.REPLAYED)).isNull();
        assertThat(replay.status()).isEqualTo(201);
        assertThat(replay.header(Idempotency.REPLAYED)).isEqualTo("true");
        assertThat(replay.body()).isEqualTo(first.body());
        assertThat(transfers(partner)).isEqualTo(1);
        assertThat(ledger.balance(partner.account(CurrencyCode.BRL, AccountKind.IN_FLIGHT))).isEqualTo(1000);
    }

    @Test
    void theBodyIsComparedInCanonicalFormSoKeyOrderAndSpacingDoNotMatter() {
        TestPartner partner = newPartner("100 BRL");
        String key = UUID.randomUUID().toString();
        String body = "{\"amount\":\"1.00\",\"currency\":\"BRL\",\"reference\":\"r-1\",\"destination\":"
                + "{\"currency\":\"BRL\",\"pix_key\":\"52998224725\"}}";
        String reordered = "{ \"reference\": \"r-1\", \"destination\": {\"pix_key\": \"52998224725\", "
                + "\"currency\": \"BRL\"}, \"currency\": \"BRL\", \"amount\": \"1.00\" }";
        assertThat(create(partner, key, body).status()).isEqualTo(201);
        assertThat(create(partner, key, reordered).header(Idempotency.REPLAYED)).isEqualTo("true");
    }

    @Test
    void theSameKeyForADifferentRequestIs422() {
        TestPartner partner = newPartner("100 BRL");
        String key = UUID.randomUUID().toString();
        create(partner, key, TransferFixtures.pix("10.00"));
        Reply reused = create(partner, key, TransferFixtures.pix("11.00"));
        assertThat(reused.status()).isEqualTo(422);
        assertThat(reused.json().get("code").asText()).isEqualTo("idempotency_key_reused");
        assertThat(transfers(partner)).isEqualTo(1);
    }

    @Test
    void aMissingOrInvalidKeyIs400() {
        TestPartner partner = newPartner("100 BRL");
        Reply missing = call("POST", "/v1/transfers").as(partner).json(TransferFixtures.pix("1.00")).send();
        assertThat(missing.status()).isEqualTo(400);
        assertThat(missing.json().get("code").asText()).isEqualTo("idempotency_key_missing");
        assertThat(create(partner, "has spaces", TransferFixtures.pix("1.00")).json().get("code").asText())
                .isEqualTo("idempotency_key_invalid");
        assertThat(transfers(partner)).isZero();
    }

    @Test
    void aClientErrorIsReplayedTooEvenAfterTheCauseWentAway() {
        TestPartner partner = newPartner("5 BRL");
        String key = UUID.randomUUID().toString();
        Map<String, Object> body = TransferFixtures.pix("10.00");
        Reply refused = create(partner, key, body);
        assertThat(refused.json().get("code").asText()).isEqualTo("insufficient_funds");

        fund(partner, CurrencyCode.BRL, new BigDecimal("100"));
        Reply replay = create(partner, key, body);
        assertThat(replay.status()).isEqualTo(422);
        assertThat(replay.header(Idempotency.REPLAYED)).isEqualTo("true");
        assertThat(transfers(partner)).isZero();
    }

    @Test
    void keysAreScopedToThePartner() {
        TestPartner alice = newPartner("100 BRL");
        TestPartner bob = newPartner("100 BRL");
        String key = UUID.randomUUID().toString();
        assertThat(create(alice, key, TransferFixtures.pix("1.00")).status()).isEqualTo(201);
        Reply bobs = create(bob, key, TransferFixtures.pix("2.00"));
        assertThat(bobs.status()).isEqualTo(201);
        assertThat(bobs.header(Idempotency.REPLAYED)).isNull();
    }

    @Test
    void fiftyIdenticalRequestsAtOnceHaveExactlyOneEffect() throws Exception {
        TestPartner partner = newPartner("1000 BRL");
        String key = UUID.randomUUID().toString();
        Map<String, Object> body = TransferFixtures.pix("7.00");
        ExecutorService pool = Executors.newFixedThreadPool(50);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Reply>> replies = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            replies.add(pool.submit(() -> {
                start.await();
                return create(partner, key, body);
            }));
        }
        start.countDown();
        List<Reply> done = new ArrayList<>();
        for (Future<Reply> reply : replies) {
            done.add(reply.get());
        }
        pool.shutdown();

        String createdId = null;
        for (Reply reply : done) {
            assertThat(reply.status()).as(reply.toString()).isIn(201, 409);
            if (reply.status() == 201) {
                String id = reply.json().get("id").asText();
                assertThat(createdId == null || createdId.equals(id)).as("one transfer, replayed").isTrue();
                createdId = id;
            } else {
                assertThat(reply.json().get("code").asText()).isEqualTo("idempotency_request_in_progress");
            }
        }
        assertThat(done.stream().filter(r -> r.status() == 201 && r.header(Idempotency.REPLAYED) == null)).hasSize(1);
        assertThat(transfers(partner)).isEqualTo(1);
        assertThat(ledger.balance(partner.account(CurrencyCode.BRL, AccountKind.IN_FLIGHT))).isEqualTo(700);
        LedgerInvariants.assertHold(jdbc);
    }

    @Test
    void opsWritesHonourKeysToo() {
        TestPartner partner = newPartner();
        String key = UUID.randomUUID().toString();
        Reply first = call("POST", "/v1/ops/partners/" + partner.id() + "/keys").asOps().header("Idempotency-Key", key)
                .send();
        Reply replay = call("POST", "/v1/ops/partners/" + partner.id() + "/keys").asOps().header("Idempotency-Key", key)
                .send();
        assertThat(first.status()).isEqualTo(201);
        assertThat(replay.header(Idempotency.REPLAYED)).isEqualTo("true");
        assertThat(replay.body()).isEqualTo(first.body());
        assertThat(partners.keys(partner.id())).hasSize(2);
    }

    private Reply create(TestPartner partner, String key, Object body) {
        return call("POST", "/v1/transfers").as(partner).header("Idempotency-Key", key).json(body).send();
    }

    private long transfers(TestPartner partner) {
        return jdbc.sql("select count(*) from transfers where partner_id = ?").param(partner.id())
                .query(Long.class).single();
    }
}
