package io.railyard.reconciliation;

import static org.assertj.core.api.Assertions.assertThat;

import io.railyard.HubTest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * Matching in groups (one-to-many, many-to-one) and pair by pair, on a rail of its own: the ledger side is written
 * straight into the tables the engine reads (transfers SUBMITTED in the period), the rail's side is the statement
 * handed to the engine, so each case states exactly which lines the rail listed.
 */
class ReconciliationGroupsTest extends HubTest {

    private static final Instant DAY = Instant.parse("2026-01-10T00:00:00Z");

    @Autowired
    ReconciliationEngine engine;

    private final String rail = "groups-" + UUID.randomUUID().toString().substring(0, 8);
    private final List<StatementLine> lines = new ArrayList<>();

    @Test
    void groupsBalanceBySumsAndEveryMismatchIsFoundOnceForEachTransferOfItsGroup() {
        UUID partner = newPartner().id();
        // one transfer paid in two lines, and two transfers paid in one line: clean
        UUID split = transfer(partner, 1000, "BRL", "G1", "inv-1");
        line("G1", null, 600, "BRL");
        line("G1", null, 400, "BRL");
        UUID joinedA = transfer(partner, 300, "BRL", "G2", "inv-2");
        UUID joinedB = transfer(partner, 700, "BRL", "G2", "inv-2");
        line("G2", null, 1000, "BRL");
        // one transfer, two lines short by 10: an amount mismatch of the group
        UUID short2 = transfer(partner, 1000, "BRL", "G3", "inv-3");
        line("G3", null, 600, "BRL");
        line("G3", null, 390, "BRL");
        // two transfers, one line in another currency: a currency mismatch, raised for each transfer
        UUID otherA = transfer(partner, 250, "BRL", "G4", "inv-4");
        UUID otherB = transfer(partner, 250, "BRL", "G4", "inv-4");
        line("G4", null, 500, "MXN");
        // no rail reference on either side: two transfers of one partner reference paid in one line, by their sum
        UUID byReferenceA = transfer(partner, 125, "BRL", null, "inv-5");
        UUID byReferenceB = transfer(partner, 375, "BRL", null, "inv-5");
        line(null, "inv-5", 500, "BRL");
        // a single pair a cent off, and a single clean pair
        UUID drift = transfer(partner, 500, "BRL", "G6", "inv-6");
        line("G6", null, 501, "BRL");
        UUID clean = transfer(partner, 800, "BRL", "G7", "inv-7");
        line("G7", null, 800, "BRL");

        Map<String, Object> run = engine.reconcile(new ReconciliationEngine.RunRequest(rail, DAY,
                DAY.plus(Duration.ofDays(1)), false, "API", "test"), lines.iterator(), System.nanoTime());

        assertThat(jdbc.sql("""
                select type || ' ' || transfer_id from reconciliation_discrepancies where run_id = ?::uuid
                order by 1""").param(run.get("id").toString()).query(String.class).list())
                .containsExactlyInAnyOrder("amount_mismatch " + short2, "currency_mismatch " + otherA,
                        "currency_mismatch " + otherB, "amount_mismatch " + drift);
        assertThat(detail(short2)).isEqualTo("matched by rail_reference (1 transfer(s), 2 line(s)): ledger 1000 BRL, "
                + "rail 990 BRL, tolerance 0");
        assertThat(detail(drift)).isEqualTo("matched by rail_reference (1 transfer(s), 1 line(s)): ledger 500 BRL, "
                + "rail 501 BRL, tolerance 0");
        assertThat(detail(otherA)).startsWith("matched by rail_reference (2 transfer(s), 1 line(s)): ledger 500 BRL, "
                + "rail 500 MXN");
        assertThat(((Number) run.get("ledger_transfers")).longValue()).isEqualTo(10);
        assertThat(((Number) run.get("matched_transfers")).longValue()).isEqualTo(10);
        assertThat(((Number) run.get("matched_lines")).longValue()).isEqualTo(9);
        assertThat(run.get("match_rate").toString()).isIn("1", "1.0", "1.000000");
        @SuppressWarnings("unchecked")
        Map<String, Object> report = (Map<String, Object>) run.get("report");
        assertThat(report.get("matched_by_rule")).isEqualTo(Map.of("rail_reference", 10, "reference-group", 2));
        @SuppressWarnings("unchecked")
        Map<String, Object> brl = ((Map<String, Map<String, Object>>) report.get("currencies")).get("BRL");
        assertThat(brl).containsEntry("ledger_total_minor", 5300).containsEntry("matched_ledger_total_minor", 5300)
                .containsEntry("statement_total_minor", 4791).containsEntry("matched_statement_total_minor", 4791);
        assertThat(List.of(split, joinedA, joinedB, byReferenceA, byReferenceB, clean))
                .allSatisfy(id -> assertThat(jdbc.sql("""
                        select bool_and(clean) from reconciliation_matches where run_id = ?::uuid and transfer_id = ?""")
                        .params(run.get("id").toString(), id).query(Boolean.class).single()).as("clean " + id)
                        .isTrue());
    }

    private UUID transfer(UUID partner, long amountMinor, String currency, String railReference, String reference) {
        UUID id = UUID.randomUUID();
        Instant submitted = DAY.plus(Duration.ofHours(10)).plusSeconds(lines.size());
        jdbc.sql("""
                insert into transfers (id, partner_id, status, protocol, source_currency, source_amount_minor,
                    destination_currency, destination_amount_minor, beneficiary, reference, rail, rail_reference)
                values (?, ?, 'SETTLED', 'api', ?, ?, ?, ?, '{}'::jsonb, ?, ?, ?)""")
                .params(id, partner, currency, amountMinor, currency, amountMinor, reference, rail, railReference)
                .update();
        jdbc.sql("""
                insert into transfer_transitions (transfer_id, from_status, to_status, reason, at)
                values (?, 'ROUTED', 'SUBMITTED', 'test', ?::timestamptz)""").params(id, submitted.toString()).update();
        return id;
    }

    private void line(String railReference, String reference, long amountMinor, String currency) {
        lines.add(new StatementLine(railReference, null, null, reference, amountMinor, currency, "CONCLUIDA",
                "SETTLED", DAY.plus(Duration.ofHours(10)).plusSeconds(lines.size()), null, "{}"));
    }

    private String detail(UUID transferId) {
        return jdbc.sql("select detail from reconciliation_discrepancies where transfer_id = ?").param(transferId)
                .query(String.class).single();
    }
}
