package io.railyard.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.railyard.ledger.AccountKey;
import io.railyard.ledger.AccountKind;
import io.railyard.ledger.CurrencyCode;
import io.railyard.transfer.TransferFixtures;
import io.railyard.treasury.TreasurySnapshots;
import io.railyard.webhook.WebhookReceiver;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * The ops console in a real browser (see {@link ConsoleBrowserTest}). Logs in as ops, checks the treasury dashboard's
 * balances against the ledger after a scripted set of transfers, accepts a rebalancing move, sends a test webhook and
 * follows deliveries, attempts, replays and the dead letter queue. Screenshots of each page go to
 * {@code target/screenshots/}.
 */
class OpsConsoleBrowserTest extends ConsoleBrowserTest {

    @Autowired
    TreasurySnapshots snapshots;

    @Test
    void opsLogInAndSeeTreasuryBalancesThatMatchTheLedgerAfterScriptedTransfers() {
        TestPartner partner = newPartner("2000 BRL", "10000 MXN", "500 USDC");
        List<String> ids = List.of(createTransfer(partner, TransferFixtures.pix("12.34")),
                createTransfer(partner, TransferFixtures.pix("100.00")), createTransfer(partner, TransferFixtures.spei("1500.00")),
                createTransfer(partner, TransferFixtures.base("7.250000")), createTransfer(partner, TransferFixtures.circle("3.5")));
        ids.forEach(id -> awaitSettled(partner, id));
        snapshots.take();

        browser.get(url("/ops/treasury"));
        assertThat(browser.getCurrentUrl()).as("a browser is sent to the login page").contains("/ops/login");
        screenshot("login");
        logIn();
        assertThat(browser.getCurrentUrl()).contains("/ops/treasury");
        assertThat(browser.findElement(By.cssSelector("nav a[aria-current=page]")).getText()).isEqualTo("Treasury");

        WebDriverWait wait = new WebDriverWait(browser, PATIENCE);
        wait.until(b -> !b.findElements(By.cssSelector("#balances-table tbody tr td")).isEmpty());
        for (String[] rail : new String[][] {{"pix", "BRL"}, {"spei", "MXN"}, {"base-usdc", "USDC"},
                {"circle-usdc", "USDC"}}) {
            CurrencyCode currency = CurrencyCode.valueOf(rail[1]);
            String expected = currency.fromMinor(-ledger.balance(AccountKey.rail(rail[0], currency,
                    AccountKind.SETTLEMENT))).toPlainString();
            assertThat(cell("balances-table", rail[0], rail[1], 2)).as(rail[0] + " float").isEqualTo(expected);
        }
        wait.until(b -> !b.findElements(By.cssSelector("#coverage-table tbody tr td")).isEmpty()
                && !b.findElements(By.cssSelector("#exposure-table tbody tr td")).isEmpty()
                && !b.findElements(By.cssSelector("#velocity-table tbody tr td")).isEmpty());
        assertThat(browser.findElement(By.id("coverage-table")).getText()).contains("pix", "spei");
        assertThat(cell("velocity-table", "pix", "BRL", 2)).matches("[0-9]+");
        wait.until(b -> b.findElement(By.id("chart-float")).getAttribute("data-points") != null);
        assertThat(Integer.parseInt(browser.findElement(By.id("chart-float")).getAttribute("data-points")))
                .isPositive();
        screenshot("treasury");

        // accept the first recommended move through the page (htmx POST with the CSRF token)
        wait.until(b -> !b.findElements(By.cssSelector("#rebalancing-table tbody tr")).isEmpty());
        List<WebElement> reasons = browser.findElements(By.cssSelector("#rebalancing-table input[name=reason]"));
        assertThat(reasons).as("the scripted payouts left floats below their low threshold").isNotEmpty();
        long audited = auditCount("treasury.rebalance");
        reasons.get(0).sendKeys("browser test: fund the float");
        browser.findElement(By.cssSelector("#rebalancing-table form button[type=submit]")).click();
        wait.until(b -> !b.findElements(By.cssSelector("#rebalancing .notice")).isEmpty()
                || !b.findElements(By.cssSelector("#rebalancing .alert")).isEmpty());
        assertThat(browser.findElement(By.id("rebalancing")).getText()).contains("Accepted:");
        assertThat(auditCount("treasury.rebalance")).isEqualTo(audited + 1);
        screenshot("treasury-rebalanced");
    }

    @Test
    void opsSendATestWebhookSeeItsDeliveryReplayItAndEmptyTheDeadLetterQueue() {
        try (WebhookReceiver receiver = new WebhookReceiver()) {
            TestPartner partner = newPartner("1000 BRL");
            Reply endpoint = call("POST", "/v1/webhooks/endpoints").as(partner)
                    .json(Map.of("url", receiver.url(), "description", "browser test receiver")).send();
            assertThat(endpoint.status()).as(endpoint.toString()).isEqualTo(201);

            browser.get(url("/ops/webhooks?partner=" + partner.id()));
            logIn();
            WebDriverWait wait = new WebDriverWait(browser, PATIENCE);
            assertThat(new Select(browser.findElement(By.id("partner"))).getFirstSelectedOption().getAttribute("value"))
                    .isEqualTo(partner.id().toString());
            assertThat(browser.findElement(By.id("endpoints-table")).getText()).contains(receiver.url());

            // send a test event and see it arrive, and listed with its attempt
            browser.findElement(By.cssSelector("#endpoints-table button[type=submit]")).click();
            wait.until(b -> !b.findElements(By.id("test-outcome")).isEmpty());
            assertThat(browser.findElement(By.id("test-outcome")).getText()).contains("SUCCEEDED", "HTTP 204");
            assertThat(receiver.received()).hasSize(1);
            String webhookId = receiver.received().get(0).header("webhook-id");
            wait.until(b -> b.findElement(By.id("deliveries")).getText().contains("webhook.test"));
            clickRowButton("deliveries-table", "webhook.test", "Attempts");
            wait.until(b -> !b.findElements(By.cssSelector("#attempts-table tbody tr td")).isEmpty());
            assertThat(browser.findElement(By.id("attempts-table")).getText()).contains("SUCCEEDED", "204");
            assertThat(browser.findElement(By.id("delivery-detail")).getText()).contains("webhook.test");
            assertThat(webhookId).isNotBlank();
            screenshot("webhooks");

            // a receiver that fails: every attempt of the transfer's events fails and they go to the DLQ
            receiver.answer(500);
            createTransfer(partner, TransferFixtures.pix("1.00"));
            wait.withTimeout(Duration.ofSeconds(60)).until(b ->
                    b.findElement(By.id("dead-letters")).getText().contains("transfer.accepted"));
            screenshot("webhooks-dead-letters");
            receiver.answer(204);
            int before = receiver.received().size();
            clickRowButton("dead-table", "transfer.accepted", "Replay");
            wait.until(b -> b.findElement(By.id("delivery-detail")).getText().contains("Replay scheduled"));
            // the transfer's later events may still be retrying and arrive too: look among all that came since
            await().atMost(PATIENCE).until(() -> receiver.received().stream().skip(before)
                    .anyMatch(r -> r.bodyText().contains("\"type\":\"transfer.accepted\"")));
            wait.until(b -> !b.findElement(By.id("dead-letters")).getText().contains("transfer.accepted"));
            assertThat(auditCount("webhook.replay")).isPositive();
            assertThat(auditCount("webhook.test")).isPositive();
            screenshot("webhooks-replayed");
        }
    }

    @Test
    void theConsoleIsForOpsOnlyAndServesEveryAssetItself() {
        TestPartner partner = newPartner();
        assertThat(call("GET", "/ops/treasury").as(partner).send().status()).isEqualTo(403);
        Reply anonymous = call("GET", "/ops/treasury").header("Accept", "text/html").send();
        assertThat(anonymous.status()).isEqualTo(302);
        assertThat(anonymous.header("Location")).endsWith("/ops/login");
        Reply page = call("GET", "/ops/treasury").asOps().send();
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.body()).contains("<html lang=\"en\">", "<main id=\"main\"", "<nav aria-label=")
                .doesNotContain("http://", "https://");
        for (String asset : new String[] {OpsConsole.HTMX, OpsConsole.ECHARTS, "/ops/assets/console.css",
                "/ops/assets/console.js", "/ops/assets/treasury.js"}) {
            assertThat(call("GET", asset).send().status()).as(asset).isEqualTo(200);
        }
        // HTTP Basic for the API keeps working alongside the console's form login
        assertThat(call("GET", "/v1/treasury/balances").asOps().send().status()).isEqualTo(200);
    }

    /**
     * The text of column {@code index} of the row whose first two cells are {@code rail} and {@code currency}; htmx
     * refreshes the table meanwhile, so a replaced row is looked up again.
     */
    private String cell(String table, String rail, String currency, int index) {
        return new WebDriverWait(browser, PATIENCE).ignoring(StaleElementReferenceException.class)
                .withMessage(() -> rail + " " + currency + " not in #" + table).until(b -> {
                    for (WebElement row : b.findElements(By.cssSelector("#" + table + " tbody tr"))) {
                        List<WebElement> cells = row.findElements(By.tagName("td"));
                        if (cells.size() > index && cells.get(0).getText().equals(rail)
                                && cells.get(1).getText().equals(currency)) {
                            return cells.get(index).getText();
                        }
                    }
                    return null;
                });
    }

    private long auditCount(String action) {
        return jdbc.sql("select count(*) from ops_audit where action = ? and actor = ?")
                .params(action, "ops:" + OPS_USER).query(Long.class).single();
    }

    private void awaitSettled(TestPartner partner, String id) {
        await().atMost(PATIENCE).pollInterval(Duration.ofMillis(100)).until(() ->
                call("GET", "/v1/transfers/" + id).as(partner).send().json().get("status").asText().equals("SETTLED"));
    }
}
