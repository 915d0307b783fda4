package io.railyard.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.railyard.HubTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Base of the ops console's browser tests: Debian's headless chromium driven by Selenium through Debian's chromedriver
 * (never a downloaded browser), a fresh profile per test, the ops login, screenshots to {@code target/screenshots/}.
 * Without chromium the tests fail (`.ci/run` installs it): they are never skipped.
 */
public abstract class ConsoleBrowserTest extends HubTest {

    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final Path SCREENSHOTS = Path.of("target", "screenshots");
    protected static final Duration PATIENCE = Duration.ofSeconds(30);

    protected WebDriver browser;

    @BeforeAll
    static void requireChromium() throws IOException {
        assertThat(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER))
                .as("the browser tests need Debian's chromium and chromium-driver (apt-get install -y chromium "
                        + "chromium-driver; .ci/run does it)").isTrue();
        Files.createDirectories(SCREENSHOTS);
    }

    @BeforeEach
    void openBrowser() throws IOException {
        Path profile = Files.createTempDirectory(Path.of("target"), "chromium-profile-");
        ChromeOptions options = new ChromeOptions().setBinary(CHROMIUM.toFile()).addArguments("--headless",
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--window-size=1440,1800",
                "--user-data-dir=" + profile.toAbsolutePath());
        // a driver service per browser: quitting the browser stops its service
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
        browser.manage().timeouts().implicitlyWait(Duration.ZERO);
    }

    @AfterEach
    void closeBrowser() {
        if (browser != null) {
            browser.quit();
        }
    }

    /** Signs in on the login page the browser was sent to, and waits until it has left it. */
    protected void logIn() {
        opsAuthorization(); // makes sure the test ops user exists
        WebDriverWait wait = new WebDriverWait(browser, PATIENCE);
        wait.until(b -> !b.findElements(By.id("username")).isEmpty());
        browser.findElement(By.id("username")).sendKeys(OPS_USER);
        browser.findElement(By.id("password")).sendKeys(OPS_PASSWORD);
        browser.findElement(By.cssSelector("form button[type=submit]")).click();
        wait.until(b -> !b.getCurrentUrl().contains("/ops/login"));
    }

    /** Clicks a row's button; the table is refreshed by htmx meanwhile, so a replaced row is looked up again. */
    protected void clickRowButton(String table, String containing, String button) {
        new WebDriverWait(browser, PATIENCE).ignoring(StaleElementReferenceException.class).until(b -> {
            for (WebElement row : b.findElements(By.cssSelector("#" + table + " tbody tr"))) {
                if (row.getText().contains(containing)) {
                    for (WebElement candidate : row.findElements(By.tagName("button"))) {
                        if (candidate.getText().equals(button)) {
                            candidate.click();
                            return true;
                        }
                    }
                }
            }
            return false;
        });
    }

    protected void screenshot(String name) {
        try {
            Path shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE).toPath();
            Files.copy(shot, SCREENSHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    protected String url(String path) {
        return "http://localhost:" + port + path;
    }
}
