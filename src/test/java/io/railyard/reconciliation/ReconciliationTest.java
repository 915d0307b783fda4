package io.railyard.reconciliation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.railyard.HubTest;
import io.railyard.ledger.AccountKey;
import io.railyard.ledger.AccountKind;
import io.railyard.ledger.CurrencyCode;
import io.railyard.ledger.LedgerInvariants;
import io.railyard.transfer.TransferFixtures;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Reconciliation end to end: transfers settled through the rail sandboxes (with injected faults), each rail's
 * statement read through its connector's statement route, matched against the ledger by POST /v1/reconciliation/runs.
 */
class ReconciliationTest extends HubTest {

    @AfterEach
    void noFaults() {
        for (String rail : new String[] {"pix", "spei", "circle", "base"}) {
            call("DELETE", "/v1/ops/sandbox/" + rail + "/faults").asOps().send();
        }
    }

    @Test
    void aCleanDayOnEveryRailMatchesEverythingWithoutDiscrepancies() {
        TestPartner partner = newPartner("1000 BRL", "10000 MXN", "1000 USDC");
        Instant from = start();
        List<String> ids = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            ids.add(createTransfer(partner, TransferFixtures.pix(i + ".10")));
            ids.add(createTransfer(partner, TransferFixtures.spei(i + "00.25")));
            ids.add(createTransfer(partner, TransferFixtures.circle(i + ".000001")));
            ids.add(createTransfer(partner, TransferFixtures.base(i + ".5")));
        }
        ids.forEach(id -> assertThat(awaitFinal(id)).isEqualTo("SETTLED"));
        Instant to = Instant.now().plusSeconds(1);
        for (String rail : new String[] {"pix", "spei", "circle-usdc", "base-usdc"}) {
            JsonNode run = run(rail, from, to, false);
            assertThat(run.get("status").asText()).as(run.toString()).isEqualTo("COMPLETED");
            assertThat(run.get("ledger_transfers").asInt()).as(rail + " " + run).isEqualTo(3);
            assertThat(run.get("statement_lines").asInt()).as(rail + " " + run).isEqualTo(3);
            assertThat(run.get("matched_transfers").asInt()).as(rail).isEqualTo(3);
            assertThat(run.get("discrepancies").asInt()).as(rail + ": false positives " + run).isZero();
            assertThat(run.get("match_rate").decimalValue()).as(rail).isEqualByComparingTo("1");
            assertThat(run.get("report").get("matched_by_rule").get("rail_reference").asInt()).as(rail).isEqualTo(3);
            JsonNode totals = run.get("report").get("currencies").elements().next();
            assertThat(totals.get("ledger_total_minor").asLong()).as(rail)
                    .isEqualTo(totals.get("statement_total_minor").asLong())
                    .isEqualTo(totals.get("matched_statement_total_minor").asLong());
            assertThat(run.get("duration_ms").asLong()).isNotNegative();
        }
        LedgerInvariants.assertHold(jdbc);
    }

    @Test
    void everyInjectedFaultIsFoundAndNothingElse() {
        TestPartner partner = newPartner("1000 BRL", "10000 MXN");
        Instant from = start();
        String clean = createTransfer(partner, TransferFixtures.pix("5.00"));
        assertThat(awaitFinal(clean)).isEqualTo("SETTLED");

        faults("pix", Map.of("amount_drift_minor", 3));
        String drifted = createTransfer(partner, TransferFixtures.pix("6.00"));
        assertThat(awaitFinal(drifted)).isEqualTo("SETTLED");

        faults("pix", Map.of("duplicate_confirmation_rate", 1));
        String duplicated = createTransfer(partner, TransferFixtures.pix("7.00"));
        assertThat(awaitFinal(duplicated)).isEqualTo("SETTLED");

        // returned after the hub's return watch (15 s in tests) has ended: only reconciliation can see it
        faults("pix", Map.of("return_rate", 1, "return_after_ms", 25000));
        String returned = createTransfer(partner, TransferFixtures.pix("8.00"));
        assertThat(awaitFinal(returned)).isEqualTo("SETTLED"); // the connector saw it settle; the return comes later
        call("DELETE", "/v1/ops/sandbox/pix/faults").asOps().send();
        String e2e = jdbc.sql("select rail_reference from transfers where id = ?::uuid").param(returned)
                .query(String.class).single();
        await().atMost(Duration.ofSeconds(45)).until(() -> call("GET", "/sandbox/pix/v2/pix/" + e2e)
                .header("Authorization", "Bearer t").send().json().get("status").asText().equals("DEVOLVIDO"));

        // paid at the rail by someone else's hand: no transfer of the hub
        String stranger = call("PUT", "/sandbox/pix/v2/pix/" + UUID.randomUUID().toString().replace("-", ""))
                .header("Authorization", "Bearer t").json(Map.of("valor", "9.99", "chave", "52998224725")).send()
                .json().get("endToEndId").asText();

        // SPEI: the order is executed but its confirmation is lost: the ledger still says SUBMITTED
        faults("spei", Map.of("lose_confirmation_rate", 1));
        String lost = createTransfer(partner, TransferFixtures.spei("123.45"));
        await().atMost(Duration.ofSeconds(15)).until(() -> call("GET", "/v1/ops/sandbox/spei/executions").asOps()
                .send().json().get("total").asInt() > 0 && "SUBMITTED".equals(status(lost))
                && jdbc.sql("select count(*) from transfer_transitions where transfer_id = ?::uuid and to_status = "
                        + "'SUBMITTED'").param(lost).query(Long.class).single() == 1);
        Instant to = Instant.now().plusSeconds(1);

        JsonNode pix = run("pix", from, to, false);
        assertThat(pix.get("ledger_transfers").asInt()).as(pix.toString()).isEqualTo(4);
        assertThat(pix.get("statement_lines").asInt()).as(pix.toString()).isEqualTo(5); // the duplicate is not a line
        assertThat(pix.get("match_rate").decimalValue()).isEqualByComparingTo("0.888888"); // 8 of 9
        Map<String, String> found = discrepancies(pix);
        assertThat(found).containsOnly(
                Map.entry("amount_mismatch", drifted),
                Map.entry("duplicate_at_rail", duplicated),
                Map.entry("late_return", returned),
                Map.entry("missing_in_ledger", stranger));
        JsonNode drift = list("run_id=" + pix.get("id").asText() + "&type=amount_mismatch").get(0);
        assertThat(drift.get("ledger_amount").asText()).isEqualTo("6.00");
        assertThat(drift.get("rail_amount").asText()).isEqualTo("6.03");
        assertThat(drift.get("partner_id").asText()).isEqualTo(partner.id().toString());

        JsonNode spei = run("spei", from, to, false);
        assertThat(discrepancies(spei)).containsOnly(Map.entry("status_mismatch", lost));
        assertThat(spei.get("report").get("matched_by_rule").get("reference").asInt())
                .as("matched by the partner reference the rail echoes").isEqualTo(1);

        // found again by a later run: the same discrepancies, not new ones
        JsonNode again = run("pix", from, to, false);
        assertThat(again.get("discrepancies").asInt()).isEqualTo(4);
        assertThat(again.get("new_discrepancies").asInt()).isZero();
        // raised as events (webhooks: reconciliation.discrepancy) for the partner whose transfer it is
        assertThat(jdbc.sql("select count(*) from outbox_events where event_type = 'reconciliation.discrepancy' "
                + "and payload::jsonb -> 'data' ->> 'transfer_id' in (?, ?, ?, ?)")
                .params(drifted, duplicated, returned, lost).query(Long.class).single()).isEqualTo(4);
        assertThat(call("GET", "/actuator/prometheus").asOps().send().body())
                .contains("railyard_reconciliation_discrepancies_total{rail=\"pix\",type=\"late_return\"}");
        LedgerInvariants.assertHold(jdbc);
    }

    @Test
    void aDryRunWritesOnlyItsReport() {
        TestPartner partner = newPartner("100 BRL");
        Instant from = start();
        faults("pix", Map.of("amount_drift_minor", -1));
        String drifted = createTransfer(partner, TransferFixtures.pix("4.00"));
        assertThat(awaitFinal(drifted)).isEqualTo("SETTLED");
        Instant to = Instant.now().plusSeconds(1);
        long lines = jdbc.sql("select count(*) from reconciliation_statement_lines").query(Long.class).single();
        JsonNode dry = run("pix", from, to, true);
        assertThat(dry.get("dry_run").asBoolean()).isTrue();
        assertThat(dry.get("discrepancies").asInt()).isEqualTo(1);
        assertThat(dry.get("report").get("discrepancies").get("amount_mismatch").asInt()).isEqualTo(1);
        assertThat(jdbc.sql("select count(*) from reconciliation_statement_lines").query(Long.class).single())
                .isEqualTo(lines);
        assertThat(jdbc.sql("select count(*) from reconciliation_discrepancies where transfer_id = ?::uuid")
                .param(drifted).query(Long.class).single()).isZero();
        assertThat(call("GET", "/v1/reconciliation/runs/" + dry.get("id").asText() + "/export").asOps().send()
                .status()).isEqualTo(409);
        assertThat(call("GET", "/v1/reconciliation/runs/" + dry.get("id").asText()).asOps().send().json()
                .get("match_rate").decimalValue()).isEqualByComparingTo("1");
    }

    @Test
    void aRunRequestedAgainWithItsIdempotencyKeyIsReplayedNotRunTwice() {
        Map<String, Object> body = Map.of("rail", "spei", "from", start().toString(),
                "to", Instant.now().plusSeconds(1).toString());
        String key = UUID.randomUUID().toString();
        long runs = jdbc.sql("select count(*) from reconciliation_runs").query(Long.class).single();
        Reply first = call("POST", "/v1/reconciliation/runs").asOps().header("Idempotency-Key", key).json(body).send();
        Reply again = call("POST", "/v1/reconciliation/runs").asOps().header("Idempotency-Key", key).json(body).send();
        assertThat(first.status()).as(first.toString()).isEqualTo(201);
        assertThat(again.status()).isEqualTo(201);
        assertThat(again.header("Idempotent-Replayed")).isEqualTo("true");
        assertThat(again.json().get("id")).isEqualTo(first.json().get("id"));
        assertThat(jdbc.sql("select count(*) from reconciliation_runs").query(Long.class).single()).isEqualTo(runs + 1);

        Reply other = call("POST", "/v1/reconciliation/runs").asOps().header("Idempotency-Key", key)
                .json(Map.of("rail", "pix", "from", body.get("from"), "to", body.get("to"))).send();
        assertThat(other.status()).isEqualTo(422);
        assertThat(other.json().get("code").asText()).isEqualTo("idempotency_key_reused");
    }

    @Test
    void theWorkflowIsAuditedAndAdjustmentsBalance() {
        TestPartner partner = newPartner("100 BRL");
        Instant from = start();
        faults("pix", Map.of("amount_drift_minor", 3));
        String drifted = createTransfer(partner, TransferFixtures.pix("3.00"));
        assertThat(awaitFinal(drifted)).isEqualTo("SETTLED");
        call("DELETE", "/v1/ops/sandbox/pix/faults").asOps().send();
        JsonNode run = run("pix", from, Instant.now().plusSeconds(1), false);
        String id = list("run_id=" + run.get("id").asText()).get(0).get("id").asText();
        String actions = "/v1/reconciliation/discrepancies/" + id + "/actions";

        assertThat(act(actions, Map.of("action", "assign", "assignee", "alice")).get("assignee").asText())
                .isEqualTo("alice");
        act(actions, Map.of("action", "comment", "comment", "=HYPERLINK(\"http://evil\")"));
        long railBefore = ledger.balance(AccountKey.rail("pix", CurrencyCode.BRL, AccountKind.SETTLEMENT));
        JsonNode resolved = act(actions, Map.of("action", "resolve", "resolution", "ledger_adjustment",
                "reason", "PSP booked 3 cents more", "adjustment", Map.of("amount", "0.03", "currency", "BRL")));
        assertThat(resolved.get("state").asText()).isEqualTo("RESOLVED");
        assertThat(resolved.get("resolved_by").asText()).isEqualTo("ops:" + OPS_USER);
        String entry = resolved.get("resolution_entry_id").asText();
        assertThat(ledger.balance(AccountKey.rail("pix", CurrencyCode.BRL, AccountKind.SETTLEMENT)) - railBefore)
                .isEqualTo(3);
        assertThat(jdbc.sql("select sum(amount_minor) from postings where entry_id = ?::uuid").param(entry)
                .query(Long.class).single()).isZero();
        LedgerInvariants.assertHold(jdbc);

        Map<String, Object> again = Map.of("action", "resolve", "resolution", "write_off", "reason", "x");
        assertThat(call("POST", actions).asOps().json(again).send().status()).isEqualTo(409);
        assertThat(act(actions, Map.of("action", "reopen", "reason", "wrong account")).get("state").asText())
                .isEqualTo("OPEN");
        assertThat(act(actions, again).get("resolution").asText()).isEqualTo("write_off");
        JsonNode audit = call("GET", "/v1/reconciliation/discrepancies/" + id).asOps().send().json().get("audit");
        assertThat(audit.findValuesAsText("action"))
                .containsExactly("raised", "assign", "comment", "resolve", "reopen", "resolve");
        assertThat(audit.get(3).get("actor").asText()).isEqualTo("ops:" + OPS_USER);
        assertThat(audit.get(3).get("details").get("entry_id").asText()).isEqualTo(entry);

        // the trail is append-only
        assertThatThrownBy(() -> jdbc.sql("update reconciliation_audit set actor = 'mallory' where discrepancy_id = "
                + "?::uuid").param(id).update()).hasMessageContaining("append-only");
        assertThatThrownBy(() -> jdbc.sql("delete from reconciliation_audit where discrepancy_id = ?::uuid").param(id)
                .update()).hasMessageContaining("append-only");

        // bad input: nothing changes
        Reply bad = call("POST", actions).asOps().json(Map.of("action", "resolve", "resolution", "ledger_adjustment",
                "reason", "r", "adjustment", Map.of("amount", "0.001", "currency", "BRL"))).send();
        assertThat(bad.status()).isEqualTo(409); // resolved already: the state is checked first
        act(actions, Map.of("action", "reopen", "reason", "again"));
        bad = call("POST", actions).asOps().json(Map.of("action", "resolve", "resolution", "ledger_adjustment",
                "reason", "r", "adjustment", Map.of("amount", "0.001", "currency", "BRL"))).send();
        assertThat(bad.status()).isEqualTo(422);
        assertThat(bad.json().get("field").asText()).isEqualTo("adjustment.amount");
        assertThat(call("GET", "/v1/reconciliation/discrepancies/" + id).asOps().send().json().get("state").asText())
                .isEqualTo("OPEN");

        // exports: the run's matches and discrepancies, the audit trail; formulas neutralised
        Reply export = call("GET", "/v1/reconciliation/runs/" + run.get("id").asText() + "/export").asOps().send();
        assertThat(export.status()).isEqualTo(200);
        assertThat(export.contentType()).startsWith("text/csv");
        assertThat(export.body()).startsWith("kind,group,rule,type").contains("match,").contains("discrepancy,")
                .contains(drifted);
        Reply trail = call("GET", "/v1/reconciliation/audit?format=csv&since=" + from).asOps().send();
        assertThat(trail.body()).startsWith("id,at,discrepancy_id,actor,action,details").contains("ops:" + OPS_USER)
                .doesNotContain(",=HYPERLINK").doesNotContain("\n=HYPERLINK");
        assertThat(ReconciliationRoutes.safeCell("=1+2")).isEqualTo("'=1+2");
        assertThat(ReconciliationRoutes.safeCell("-0.03")).isEqualTo("'-0.03");
        assertThat(ReconciliationRoutes.safeCell("@SUM(A1)")).isEqualTo("'@SUM(A1)");
        assertThat(ReconciliationRoutes.safeCell("+1")).isEqualTo("'+1");
        assertThat(ReconciliationRoutes.safeCell("ok")).isEqualTo("ok");
    }

    @Test
    void aTransferTheRailNeverListedIsMissingThereAndCanBeRematched() {
        TestPartner partner = newPartner("100 USDC");
        Instant from = start();
        String paid = createTransfer(partner, TransferFixtures.circle("2.000002"));
        assertThat(awaitFinal(paid)).isEqualTo("SETTLED");
        Instant to = Instant.now().plusSeconds(1);
        JsonNode first = run("circle-usdc", from, to, false);
        assertThat(first.get("discrepancies").asInt()).isZero();
        long lineId = jdbc.sql("select l.id from reconciliation_statement_lines l join transfers t "
                + "on t.rail_reference = l.rail_reference where l.run_id = ?::uuid and t.id = ?::uuid")
                .params(first.get("id").asText(), paid).query(Long.class).single();

        // the watch for a late return is over (else it asks the rail again, and the forgetful rail pays it anew)
        jdbc.sql("update transfers set return_watch_until = null where id = ?::uuid").param(paid).update();
        call("DELETE", "/v1/ops/sandbox/circle/state").asOps().send(); // the rail forgets its payouts
        JsonNode second = run("circle-usdc", from, to, false);
        assertThat(discrepancies(second)).containsOnly(Map.entry("missing_at_rail", paid));
        String id = list("run_id=" + second.get("id").asText()).get(0).get("id").asText();
        JsonNode rematched = act("/v1/reconciliation/discrepancies/" + id + "/actions", Map.of("action", "resolve",
                "resolution", "rematch", "reason", "listed on the statement of the first run", "line_id", lineId));
        assertThat(rematched.get("rematch_line_id").asLong()).isEqualTo(lineId);
        assertThat(jdbc.sql("select count(*) from reconciliation_matches where rule = 'manual' and transfer_id = ?::uuid")
                .param(paid).query(Long.class).single()).isEqualTo(1);
    }

    @Test
    void onlyOpsMayReconcile() {
        TestPartner partner = newPartner();
        assertThat(call("GET", "/v1/reconciliation/discrepancies").as(partner).send().status()).isEqualTo(403);
        assertThat(call("POST", "/v1/reconciliation/runs").as(partner).json(Map.of("rail", "pix")).send().status())
                .isEqualTo(403);
        assertThat(call("GET", "/v1/reconciliation/runs").send().status()).isEqualTo(401);
        assertThat(call("GET", "/v1/reconciliation/audit").send().status()).isEqualTo(401);
        Reply unknown = call("POST", "/v1/reconciliation/runs").asOps().json(Map.of("rail", "nope",
                "from", "2026-01-01T00:00:00Z", "to", "2026-01-02T00:00:00Z")).send();
        assertThat(unknown.status()).isEqualTo(422);
        assertThat(unknown.json().get("field").asText()).isEqualTo("rail");
        Reply backwards = call("POST", "/v1/reconciliation/runs").asOps().json(Map.of("rail", "pix",
                "from", "2026-01-02T00:00:00Z", "to", "2026-01-01T00:00:00Z")).send();
        assertThat(backwards.json().get("field").asText()).isEqualTo("to");
        assertThat(call("GET", "/v1/reconciliation/discrepancies?type=nope").asOps().send().status()).isEqualTo(400);
        assertThat(call("GET", "/v1/reconciliation/runs/" + UUID.randomUUID()).asOps().send().status())
                .isEqualTo(404);
        JsonNode page = call("GET", "/v1/reconciliation/runs?limit=1").asOps().send().json();
        assertThat(page.has("next_cursor")).isTrue();
    }

    private Instant start() {
        return Instant.now().truncatedTo(ChronoUnit.MILLIS).minusMillis(500);
    }

    private void faults(String rail, Map<String, Object> faults) {
        Reply reply = call("PUT", "/v1/ops/sandbox/" + rail + "/faults").asOps().json(faults).send();
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
    }

    private JsonNode run(String rail, Instant from, Instant to, boolean dryRun) {
        Reply reply = call("POST", "/v1/reconciliation/runs").asOps().json(Map.of("rail", rail, "from", from.toString(),
                "to", to.toString(), "dry_run", dryRun)).send();
        assertThat(reply.status()).as(reply.toString()).isEqualTo(201);
        return reply.json();
    }

    /** The run's discrepancies: type → transfer id (or the rail reference when there is no transfer). */
    private Map<String, String> discrepancies(JsonNode run) {
        Map<String, String> found = new HashMap<>();
        for (JsonNode d : list("run_id=" + run.get("id").asText())) {
            String previous = found.put(d.get("type").asText(), d.hasNonNull("transfer_id")
                    ? d.get("transfer_id").asText() : d.get("rail_reference").asText());
            assertThat(previous).as("one discrepancy of type " + d.get("type")).isNull();
        }
        assertThat(found).hasSize(run.get("discrepancies").asInt());
        return found;
    }

    private JsonNode list(String query) {
        Reply reply = call("GET", "/v1/reconciliation/discrepancies?" + query).asOps().send();
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        return reply.json().get("data");
    }

    private JsonNode act(String path, Map<String, Object> action) {
        Reply reply = call("POST", path).asOps().json(action).send();
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        return reply.json();
    }

    private String status(String id) {
        return jdbc.sql("select status from transfers where id = ?::uuid").param(id).query(String.class).single();
    }

    private String awaitFinal(String id) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> List.of("SETTLED", "FAILED", "RETURNED").contains(status(id)));
        return status(id);
    }
}
