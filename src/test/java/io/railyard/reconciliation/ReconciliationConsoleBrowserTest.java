package io.railyard.reconciliation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.railyard.ledger.AccountKey;
import io.railyard.ledger.AccountKind;
import io.railyard.ledger.CurrencyCode;
import io.railyard.ledger.LedgerInvariants;
import io.railyard.ops.ConsoleBrowserTest;
import io.railyard.transfer.TransferFixtures;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The reconciliation dashboard in a real browser: a discrepancy seeded through the real engine (a Pix statement
 * drifted by the sandbox, a payout the hub never made), a run started from the page, the queue filtered, the
 * discrepancy assigned, commented, refused then resolved with a ledger adjustment, reopened, each step checked on the
 * page and in the database; the CSV exports downloaded with the console's session; ops only.
 */
class ReconciliationConsoleBrowserTest extends ConsoleBrowserTest {

    private static final String COMMENT = "<script>window.pwned = true</script> PSP ticket 4411";

    @AfterEach
    void noFaults() {
        call("DELETE", "/v1/ops/sandbox/pix/faults").asOps().send();
    }

    @Test
    void opsRunReconciliationAndWorkADiscrepancyThroughTheAuditedWorkflow() {
        // the real engine's inputs: a clean payout, one whose statement drifts by 3 cents, one the hub never made
        TestPartner partner = newPartner("100 BRL");
        Instant from = Instant.now().truncatedTo(ChronoUnit.MILLIS).minusMillis(500);
        String clean = createTransfer(partner, TransferFixtures.pix("5.00"));
        awaitSettled(clean); // the sandbox fixes a payout's statement faults when it creates it
        Reply drift = call("PUT", "/v1/ops/sandbox/pix/faults").asOps().json(Map.of("amount_drift_minor", 3)).send();
        assertThat(drift.status()).as(drift.toString()).isEqualTo(200);
        String drifted = createTransfer(partner, TransferFixtures.pix("6.00"));
        awaitSettled(drifted);
        call("DELETE", "/v1/ops/sandbox/pix/faults").asOps().send();
        String stranger = call("PUT", "/sandbox/pix/v2/pix/" + UUID.randomUUID().toString().replace("-", ""))
                .header("Authorization", "Bearer t").json(Map.of("valor", "9.99", "chave", "52998224725")).send()
                .json().get("endToEndId").asText();
        Instant to = Instant.now().plusSeconds(1);

        browser.get(url("/ops/reconciliation"));
        assertThat(browser.getCurrentUrl()).as("a browser is sent to the login page").contains("/ops/login");
        logIn();
        assertThat(browser.getCurrentUrl()).contains("/ops/reconciliation");
        assertThat(browser.findElement(By.cssSelector("nav a[aria-current=page]")).getText())
                .isEqualTo("Reconciliation");
        WebDriverWait wait = new WebDriverWait(browser, PATIENCE);

        // run now: a period ending before it starts is refused by the engine, the form keeps what was typed
        new Select(browser.findElement(By.id("run-rail"))).selectByVisibleText("pix");
        retype("run-from", to.toString());
        retype("run-to", from.toString());
        browser.findElement(By.cssSelector("#run-form button[type=submit]")).click();
        wait.until(b -> !b.findElements(By.cssSelector("#run-now .alert")).isEmpty());
        assertThat(browser.findElement(By.id("run-outcome")).getText()).contains("(to)", "after from",
                "validation_failed");
        assertThat(browser.findElement(By.id("run-to")).getDomAttribute("aria-invalid")).isEqualTo("true");
        assertThat(browser.findElement(By.id("run-from")).getDomProperty("value")).isEqualTo(to.toString());
        assertThat(new Select(browser.findElement(By.id("run-rail"))).getFirstSelectedOption().getText())
                .isEqualTo("pix");
        retype("run-from", from.toString());
        retype("run-to", to.toString());
        browser.findElement(By.cssSelector("#run-form button[type=submit]")).click();
        wait.until(b -> !b.findElements(By.cssSelector("#run-now .notice")).isEmpty());
        Map<String, Object> run = jdbc.sql("select id, match_rate, discrepancies, trigger from reconciliation_runs "
                + "where requested_by = ? order by created_at desc limit 1").param("ops:" + OPS_USER).query()
                .singleRow();
        String runId = run.get("id").toString();
        assertThat(browser.findElement(By.id("run-outcome")).getText()).contains(runId, "completed",
                "match rate 80.00 %", "2 discrepancies (2 new)");
        assertThat(run.get("trigger")).isEqualTo("API"); // the very service POST /v1/reconciliation/runs calls
        assertThat(jdbc.sql("select count(*) from ops_audit where action = 'reconciliation.run' and actor = ? "
                + "and details ->> 'from' = ?").params("ops:" + OPS_USER, from.toString()).query(Long.class).single())
                .isEqualTo(1);

        // the run in the table: 4 of 5 transfers and lines matched, totals per currency, two discrepancies, stored
        wait.until(b -> runRow(runId) != null);
        List<String> cells = runRow(runId);
        assertThat(cells.get(1)).isEqualTo("pix");
        assertThat(cells.get(5)).isEqualTo("completed\nstored");
        assertThat(cells.get(6)).isEqualTo("80.00 %");
        assertThat(cells.get(7)).isEqualTo("2 / 2\n2 / 3");
        assertThat(cells.get(8)).contains("BRL ledger 11.00 (2), statement 21.02 (3)", "matched 11.00 / 11.03");
        assertThat(cells.get(9)).startsWith("2 (2 new)");
        assertThat(cells.get(10)).isEqualTo("CSV");
        screenshot("reconciliation");

        // the queue, filtered to amount mismatches on pix; the missing-in-ledger line is filtered out
        new Select(browser.findElement(By.id("filter-rail"))).selectByVisibleText("pix");
        new Select(browser.findElement(By.id("filter-type"))).selectByVisibleText("amount_mismatch");
        wait.ignoring(StaleElementReferenceException.class).until(b -> {
            String queue = b.findElement(By.id("discrepancies-table")).getText();
            return queue.contains(drifted) && !queue.contains(stranger);
        });
        assertThat(queueRow(drifted)).contains("6.00 / 6.03 BRL", "nobody", "open");
        clickRowButton("discrepancies-table", drifted, "Open");
        wait.until(b -> b.findElement(By.id("discrepancy-detail")).getText().contains(drifted));
        String id = jdbc.sql("select id from reconciliation_discrepancies where transfer_id = ?::uuid")
                .param(drifted).query(String.class).single();
        assertThat(browser.findElement(By.id("discrepancy-title")).getText())
                .contains("amount_mismatch", "pix", "open");

        // assign to me
        act(By.cssSelector("#assign-me-form button"), "Assigned to " + OPS_USER + ".");
        // a comment that is markup stays text
        browser.findElement(By.id("comment")).sendKeys(COMMENT);
        act(By.cssSelector("#comment-form button"), "Comment added.");
        assertThat(browser.findElement(By.id("audit-table")).getText()).contains(COMMENT);
        assertThat(((JavascriptExecutor) browser).executeScript("return window.pwned === undefined")).isEqualTo(true);
        assertThat(call("GET", "/ops/reconciliation/fragments/discrepancies/" + id).asOps().send().body())
                .contains("&lt;script&gt;window.pwned = true&lt;/script&gt; PSP ticket 4411")
                .doesNotContain("<script>window.pwned");

        // resolve with an amount the currency cannot hold: refused by the engine, the form kept
        new Select(browser.findElement(By.id("resolution"))).selectByValue("ledger_adjustment");
        browser.findElement(By.id("reason")).sendKeys("PSP booked 3 cents more");
        browser.findElement(By.id("adjustment-amount")).sendKeys("0.001");
        browser.findElement(By.cssSelector("#resolve-form button[type=submit]")).click();
        wait.until(b -> !b.findElements(By.cssSelector("#discrepancy-detail .alert")).isEmpty());
        assertThat(text(By.id("action-outcome"))).contains("(adjustment.amount)",
                "at most 2 decimals", "422 validation_failed");
        assertThat(browser.findElement(By.id("reason")).getDomProperty("value")).isEqualTo("PSP booked 3 cents more");
        assertThat(browser.findElement(By.id("adjustment-amount")).getDomAttribute("aria-invalid")).isEqualTo("true");
        assertThat(new Select(browser.findElement(By.id("resolution"))).getFirstSelectedOption().getText())
                .isEqualTo("ledger_adjustment");
        assertThat(jdbc.sql("select state from reconciliation_discrepancies where id = ?::uuid").param(id)
                .query(String.class).single()).isEqualTo("OPEN");
        long railBefore = ledger.balance(AccountKey.rail("pix", CurrencyCode.BRL, AccountKind.SETTLEMENT));
        retype("adjustment-amount", "0.03");
        act(By.cssSelector("#resolve-form button[type=submit]"), "Resolved: ledger_adjustment (ledger entry ");
        assertThat(text(By.id("discrepancy-title"))).contains("resolved");
        assertThat(ledger.balance(AccountKey.rail("pix", CurrencyCode.BRL, AccountKind.SETTLEMENT)) - railBefore)
                .isEqualTo(3);
        LedgerInvariants.assertHold(jdbc);
        screenshot("reconciliation-resolved");

        // reopen it; the trail on the page is the trail in the database
        browser.findElement(By.id("reopen-reason")).sendKeys("wrong counter account");
        act(By.cssSelector("#reopen-form button"), "Reopened.");
        List<Map<String, Object>> trail = jdbc.sql("select actor, action, details::text as details from "
                + "reconciliation_audit where discrepancy_id = ?::uuid order by id").param(id).query().listOfRows();
        assertThat(trail).extracting(r -> r.get("action"))
                .containsExactly("raised", "assign", "comment", "resolve", "reopen");
        assertThat(trail).extracting(r -> r.get("actor")).containsOnly("ops:" + OPS_USER);
        assertThat(trail.get(3).get("details").toString()).contains("\"amount\": \"0.03\"", "PSP booked 3 cents more");
        List<WebElement> rows = browser.findElements(By.cssSelector("#audit-table tbody tr"));
        assertThat(rows).hasSize(trail.size());
        for (int i = 0; i < rows.size(); i++) {
            List<WebElement> entry = rows.get(i).findElements(By.tagName("td"));
            assertThat(entry.get(1).getText()).isEqualTo(trail.get(i).get("actor"));
            assertThat(entry.get(2).getText()).isEqualTo(trail.get(i).get("action"));
        }
        assertThat(rows.get(1).getText()).contains("to: " + OPS_USER);
        assertThat(rows.get(3).getText()).contains("resolution: ledger_adjustment", "adjustment.amount: 0.03");
        assertThat(rows.get(4).getText()).contains("reason: wrong counter account");
        assertThat(jdbc.sql("select state || ' ' || assignee from reconciliation_discrepancies where id = ?::uuid")
                .param(id).query(String.class).single()).isEqualTo("OPEN " + OPS_USER);
        screenshot("reconciliation-audit");

        // the CSV links download with the console's session (no Basic credentials)
        String session = "JSESSIONID=" + browser.manage().getCookieNamed("JSESSIONID").getValue();
        assertThat(browser.manage().getCookieNamed("JSESSIONID").getSameSite())
                .as("no other site's request carries the session").isEqualTo("Strict");
        String runExport = browser.findElement(By.cssSelector("#discrepancy-detail a[href$='/export']"))
                .getDomAttribute("href");
        assertThat(runExport).isEqualTo("/v1/reconciliation/runs/" + runId + "/export");
        Reply csv = call("GET", runExport).header("Cookie", session).send();
        assertThat(csv.status()).as(csv.toString()).isEqualTo(200);
        assertThat(csv.contentType()).startsWith("text/csv");
        assertThat(csv.header("Content-Disposition")).contains("attachment");
        assertThat(csv.body()).startsWith("kind,group,rule,type").contains("discrepancy,,,amount_mismatch", drifted,
                clean, stranger);
        String auditExport = browser.findElement(By.cssSelector("#discrepancy-detail a[href*='/audit?format=csv']"))
                .getDomAttribute("href");
        Reply audit = call("GET", auditExport).header("Cookie", session).send();
        assertThat(audit.status()).as(audit.toString()).isEqualTo(200);
        assertThat(audit.body()).startsWith("id,at,discrepancy_id,actor,action,details").contains(id,
                "ops:" + OPS_USER, "PSP ticket 4411");
        assertThat(call("GET", runExport).send().status()).as("no session, no credentials").isEqualTo(401);
        assertThat(browser.findElement(By.cssSelector("#runs-table a[href='" + runExport + "']")).getText())
                .isEqualTo("CSV");
    }

    @Test
    void theDashboardIsForOpsOnlyAndItsWritesNeedTheCsrfToken() {
        TestPartner partner = newPartner();
        for (String path : new String[] {"/ops/reconciliation", "/ops/reconciliation/fragments/runs",
                "/ops/reconciliation/fragments/discrepancies"}) {
            assertThat(call("GET", path).as(partner).send().status()).as(path).isEqualTo(403);
            assertThat(call("GET", path).asOps().send().status()).as(path).isEqualTo(200);
        }
        assertThat(call("GET", "/ops/reconciliation").asOps().send().body()).contains("<main id=\"main\"",
                "aria-current=\"page\">Reconciliation</a>").doesNotContain("http://", "https://");
        // the query presets the queue and opens a discrepancy; what it carries is text, never markup
        UUID someone = UUID.randomUUID();
        assertThat(call("GET", "/ops/reconciliation?state=RESOLVED&type=late_return&discrepancy=" + someone).asOps()
                .send().body()).contains("<option value=\"RESOLVED\" selected>",
                        "<option value=\"late_return\" selected>",
                        "hx-get=\"/ops/reconciliation/fragments/discrepancies/" + someone + "\" hx-trigger=\"load\"");
        assertThat(call("GET", "/ops/reconciliation?run_id=%22%3E%3Cscript%3Ealert(1)%3C/script%3E").asOps().send()
                .body()).contains("value=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\"").doesNotContain(
                        "<script>alert(1)");
        Reply anonymous = call("GET", "/ops/reconciliation").header("Accept", "text/html").send();
        assertThat(anonymous.status()).isEqualTo(302);
        assertThat(anonymous.header("Location")).endsWith("/ops/login");
        Reply forged = call("POST", "/ops/reconciliation/runs").asOps().body("application/x-www-form-urlencoded",
                "rail=pix&from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z").send();
        assertThat(forged.status()).as("a write without the CSRF token").isEqualTo(403);
        assertThat(jdbc.sql("select count(*) from reconciliation_runs where period_from = '2026-01-01T00:00:00Z'")
                .query(Long.class).single()).isZero();
        // a filter the engine refuses is said so; an unknown discrepancy is not found
        assertThat(call("GET", "/ops/reconciliation/fragments/discrepancies?run_id=nope").asOps().send().body())
                .contains("class=\"alert\"", "run_id is a UUID");
        assertThat(call("GET", "/ops/reconciliation/fragments/discrepancies/" + UUID.randomUUID()).asOps().send()
                .status()).isEqualTo(404);
        assertThat(ReconciliationConsole.matchRate("0.999999")).isEqualTo("99.99 %");
        assertThat(ReconciliationConsole.matchRate("1")).isEqualTo("100.00 %");
    }

    /** The cells of the runs table's row of {@code runId} (its first cell shows the id's first 8 characters). */
    private List<String> runRow(String runId) {
        try {
            for (WebElement row : browser.findElements(By.cssSelector("#runs-table tbody tr"))) {
                List<WebElement> cells = row.findElements(By.tagName("td"));
                if (cells.size() > 1 && runId.equals(cells.get(0).findElement(By.tagName("code"))
                        .getDomAttribute("title"))) {
                    return cells.stream().map(WebElement::getText).toList();
                }
            }
        } catch (StaleElementReferenceException | org.openqa.selenium.NoSuchElementException refreshed) {
            return null; // htmx replaced the table meanwhile: look again
        }
        return null;
    }

    /** The text of the queue's row mentioning {@code containing}, looked up again if htmx refreshed the table. */
    private String queueRow(String containing) {
        return new WebDriverWait(browser, PATIENCE).ignoring(StaleElementReferenceException.class).until(b ->
                b.findElements(By.cssSelector("#discrepancies-table tbody tr")).stream().map(WebElement::getText)
                        .filter(text -> text.contains(containing)).findFirst().orElse(null));
    }

    /**
     * Submits a workflow form and waits for the outcome the engine answered. The outcome is read inside the wait: htmx
     * may swap the detail again between a look-up and a read, and a stale element is then looked up again.
     */
    private void act(By button, String expected) {
        List<WebElement> previous = browser.findElements(By.id("action-outcome"));
        browser.findElement(button).click();
        // until the answer swaps the detail in, the outcome (or alert) on the page is the previous action's
        previous.forEach(outcome -> new WebDriverWait(browser, PATIENCE).until(ExpectedConditions.stalenessOf(outcome)));
        String outcome = new WebDriverWait(browser, PATIENCE).ignoring(StaleElementReferenceException.class).until(b -> {
            List<WebElement> found = b.findElements(By.id("action-outcome"));
            String text = found.isEmpty() ? "" : found.get(0).getText();
            return text.contains(expected) || !b.findElements(By.cssSelector("#discrepancy-detail .alert")).isEmpty()
                    ? text : null;
        });
        assertThat(outcome).contains(expected);
    }

    /** An element's text, looked up again if htmx swapped it between the look-up and the read. */
    private String text(By element) {
        return new WebDriverWait(browser, PATIENCE).ignoring(StaleElementReferenceException.class)
                .until(b -> b.findElement(element).getText());
    }

    private void retype(String id, String text) {
        WebElement input = browser.findElement(By.id(id));
        input.clear();
        input.sendKeys(text);
    }

    /** The shared test hub may still be draining an earlier suite's work (RailFaultsTest's rechecks): up to 2 minutes. */
    private void awaitSettled(String id) {
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(100)).until(() -> "SETTLED".equals(jdbc.sql(
                "select status from transfers where id = ?::uuid").param(id).query(String.class).single()));
    }
}
