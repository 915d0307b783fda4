package io.railyard.window;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.railyard.HubTest;
import io.railyard.ledger.LedgerInvariants;
import io.railyard.routing.TransferRouter;
import io.railyard.transfer.TransferFixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;

class SettlementWindowsTest extends HubTest {

    @Autowired
    TransferRouter router;

    @TempDir
    Path dir;

    /** A bank-transfer rail with a cut-off (TED-like), on the shipped BR calendar. */
    private SettlementWindows withTed(Instant now) throws Exception {
        String shipped = Files.readString(Path.of("config/rails.yaml"));
        Path file = dir.resolve("rails.yaml");
        Files.writeString(file, shipped.replace("rails:\n", """
                rails:
                  ted:
                    zone: America/Sao_Paulo
                    calendar: BR
                    days: [MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY]
                    open: "06:30"
                    cutoff: "17:00"
                """));
        return new SettlementWindows(file, Clock.fixed(now, ZoneOffset.UTC), jdbc);
    }

    @Test
    void afterTheCutOffOnTheFridayBeforeCarnivalTheNextWindowIsAshWednesdayMorning() throws Exception {
        // Friday 2027-02-05 18:00 in São Paulo (UTC-3): Carnival Monday and Tuesday follow the weekend
        SettlementWindows windows = withTed(Instant.parse("2027-02-05T21:00:00Z"));
        SettlementWindows.State state = windows.now("ted", "BRL");
        assertThat(state.open()).isFalse();
        assertThat(state.closedBecause()).isEqualTo("after the 17:00 cut-off");
        assertThat(state.nextOpen()).isEqualTo(Instant.parse("2027-02-10T09:30:00Z"));
        assertThat(state.nextCutoff()).isEqualTo(Instant.parse("2027-02-10T20:00:00Z"));

        SettlementWindows.State carnival = windows.at("ted", "BRL", Instant.parse("2027-02-08T15:00:00Z"));
        assertThat(carnival.businessDay()).isFalse();
        assertThat(carnival.closedBecause()).startsWith("holiday: Carnaval");
        assertThat(windows.at("ted", "BRL", Instant.parse("2027-02-10T12:00:00Z")).open()).isTrue();
    }

    @Test
    void alwaysOpenRailsStayOpenOnHolidaysAndSpeiBooksOnTheNextBusinessDay() throws Exception {
        SettlementWindows windows = withTed(Instant.parse("2026-12-12T18:00:00Z")); // Guadalupe, a Saturday
        assertThat(windows.now("pix", "BRL").open()).isTrue();
        SettlementWindows.State spei = windows.now("spei", "MXN");
        assertThat(spei.open()).isTrue();
        assertThat(spei.businessDay()).isFalse();
        assertThat(spei.bookingDate()).hasToString("2026-12-14");
    }

    @Test
    void usdWiresHaveACutOffAndUsHolidays() throws Exception {
        // Thanksgiving, Thursday 2026-11-26, 10:00 in New York: the next wire window is Friday 09:00 New York
        SettlementWindows windows = withTed(Instant.parse("2026-11-26T15:00:00Z"));
        SettlementWindows.State wire = windows.now("circle-usdc", "USD");
        assertThat(wire.open()).isFalse();
        assertThat(wire.closedBecause()).startsWith("holiday: Thanksgiving");
        assertThat(wire.nextOpen()).isEqualTo(Instant.parse("2026-11-27T14:00:00Z"));
        SettlementWindows.State afterCutoff = windows.at("circle-usdc", "USD", Instant.parse("2026-11-27T21:45:00Z"));
        assertThat(afterCutoff.closedBecause()).isEqualTo("after the 16:30 cut-off");
        assertThat(afterCutoff.nextOpen()).isEqualTo(Instant.parse("2026-11-30T14:00:00Z"));
        assertThat(windows.now("circle-usdc", "USDC").open()).as("USDC is not a wire").isTrue();
    }

    @Test
    void aClosedWindowQueuesTransfersWithTheirReleaseTimeAndOpeningReleasesThem() {
        TestPartner partner = newPartner("100 BRL");
        override("pix", Map.of("state", "CLOSED", "reason", "PSP maintenance"));
        List<String> ids = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                ids.add(create(partner));
            }
            for (String id : ids) {
                await().atMost(Duration.ofSeconds(20)).until(() -> status(partner, id).equals("QUEUED"));
                JsonNode queued = call("GET", "/v1/transfers/" + id).as(partner).send().json();
                assertThat(queued.has("release_at")).isTrue();
                assertThat(queued.get("history").findValuesAsText("reason").toString()).contains("closed by ops");
            }
        } finally {
            override("pix", Map.of("state", "CLEARED", "reason", "maintenance over"));
        }
        for (String id : ids) {
            await().atMost(Duration.ofSeconds(30)).until(() -> status(partner, id).equals("SETTLED"));
        }
        LedgerInvariants.assertHold(jdbc);
    }

    @Test
    void opsReleaseARailQueueNowAndEveryOverrideIsAudited() {
        TestPartner partner = newPartner("100 BRL");
        override("pix", Map.of("state", "CLOSED", "until", Instant.now().plusSeconds(3600).toString(),
                "reason", "bank outage"));
        try {
            String id = create(partner);
            await().atMost(Duration.ofSeconds(20)).until(() -> status(partner, id).equals("QUEUED"));

            Reply noReason = call("POST", "/v1/ops/settlement-windows/pix/release").asOps().json(Map.of()).send();
            assertThat(noReason.status()).isEqualTo(422);
            assertThat(noReason.json().get("field").asText()).isEqualTo("reason");
            assertThat(call("POST", "/v1/ops/settlement-windows/pix/release").as(partner)
                    .json(Map.of("reason", "x")).send().status()).as("partners cannot override").isEqualTo(403);

            Reply released = call("POST", "/v1/ops/transfers/" + id + "/release").asOps()
                    .json(Map.of("reason", "customer escalation #4411")).send();
            assertThat(released.status()).as(released.toString()).isEqualTo(200);
            await().atMost(Duration.ofSeconds(30)).until(() -> status(partner, id).equals("SETTLED"));
            JsonNode audit = call("GET", "/v1/ops/settlement-windows/audit").asOps().send().json();
            assertThat(audit.get("data").findValuesAsText("reason")).contains("bank outage",
                    "customer escalation #4411");
            assertThat(audit.get("data").findValuesAsText("actor")).contains("ops:" + OPS_USER);
        } finally {
            override("pix", Map.of("state", "CLEARED", "reason", "outage over"));
        }
    }

    @Test
    void twoReleasersRunningAtOnceReleaseEachTransferExactlyOnce() throws Exception {
        TestPartner partner = newPartner("100 BRL");
        override("pix", Map.of("state", "CLOSED", "reason", "test: build a queue"));
        List<String> ids = new ArrayList<>();
        try {
            for (int i = 0; i < 10; i++) {
                ids.add(create(partner));
            }
            for (String id : ids) {
                await().atMost(Duration.ofSeconds(20)).until(() -> status(partner, id).equals("QUEUED"));
            }
        } finally {
            override("pix", Map.of("state", "CLEARED", "reason", "test: release"));
        }
        jdbc.sql("update transfers set release_at = now() - interval '1 second' where partner_id = ?")
                .param(partner.id()).update();
        CompletableFuture<Integer> first = CompletableFuture.supplyAsync(router::releaseDue);
        CompletableFuture<Integer> second = CompletableFuture.supplyAsync(router::releaseDue);
        first.get();
        second.get();
        for (String id : ids) {
            assertThat(jdbc.sql("select count(*) from transfer_transitions where transfer_id = ?::uuid "
                    + "and from_status = 'QUEUED' and to_status = 'ROUTED'").param(id).query(Long.class).single())
                    .as("released once").isEqualTo(1);
            await().atMost(Duration.ofSeconds(30)).until(() -> status(partner, id).equals("SETTLED"));
        }
    }

    @Test
    void partnersSeeEveryRailsWindow() {
        TestPartner partner = newPartner();
        JsonNode list = call("GET", "/v1/settlement-windows").as(partner).send().json();
        assertThat(list.get("data").findValuesAsText("rail")).contains("pix", "spei", "circle-usdc", "base-usdc");
        JsonNode next = call("GET", "/v1/settlement-windows/circle-usdc/next?currency=USD").as(partner).send().json();
        assertThat(next.get("zone").asText()).isEqualTo("America/New_York");
        assertThat(next.has("next_open")).isTrue();
        assertThat(call("GET", "/v1/settlement-windows/carrier-pigeon/next").as(partner).send().status())
                .isEqualTo(404);
    }

    private void override(String rail, Map<String, Object> body) {
        Reply reply = call("POST", "/v1/ops/settlement-windows/" + rail + "/override").asOps().json(body).send();
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
    }

    private String create(TestPartner partner) {
        return createTransfer(partner, TransferFixtures.pix("1.00"));
    }

    private String status(TestPartner partner, String id) {
        return call("GET", "/v1/transfers/" + id).as(partner).send().json().get("status").asText();
    }
}
