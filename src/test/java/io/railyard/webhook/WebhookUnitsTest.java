package io.railyard.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.railyard.api.ApiProblem;
import io.railyard.api.RetryAfter;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The webhook parts that need no hub: schedule, secrets, filters, URL rules. */
class WebhookUnitsTest {

    static WebhookSettings settings(List<Duration> schedule, double jitter, double compression, String secretKey,
            boolean requireHttps, boolean allowPrivate, Duration timeout) {
        return new WebhookSettings(schedule, jitter, Duration.ofHours(12), timeout, Duration.ofSeconds(2),
                Duration.ofSeconds(60), 256, 16, 500, 10, Duration.ofMinutes(5), 500, Duration.ofMinutes(5),
                Duration.ofDays(30), Duration.ofHours(24), secretKey, requireHttps, allowPrivate, compression);
    }

    static WebhookSettings defaults() {
        return settings(List.of(Duration.ZERO, Duration.ofMinutes(5), Duration.ofMinutes(30), Duration.ofHours(4),
                Duration.ofHours(20)), 0.1, 1, "", false, true, Duration.ofSeconds(10));
    }

    @Test
    void theDefaultScheduleIsFiveAttemptsOverAboutADayWithJitter() {
        RetrySchedule schedule = new RetrySchedule(defaults());
        assertThat(schedule.maxAttempts()).isEqualTo(5);
        assertThat(schedule.exhausted(4)).isFalse();
        assertThat(schedule.exhausted(5)).isTrue();
        List<Duration> waits = new ArrayList<>();
        for (int attempt = 1; attempt <= 4; attempt++) {
            waits.add(schedule.delayAfter(attempt, null));
        }
        assertThat(waits.get(0)).isBetween(Duration.ofSeconds(270), Duration.ofSeconds(330));
        assertThat(waits.get(1)).isBetween(Duration.ofMinutes(27), Duration.ofMinutes(33));
        assertThat(waits.get(2)).isBetween(Duration.ofMinutes(216), Duration.ofMinutes(264));
        assertThat(waits.get(3)).isBetween(Duration.ofHours(18), Duration.ofHours(22));
        Duration total = waits.stream().reduce(Duration.ZERO, Duration::plus);
        assertThat(total).isBetween(Duration.ofHours(22), Duration.ofHours(27));
        // jitter: the same step does not always give the same wait
        assertThat(java.util.stream.IntStream.range(0, 20).mapToObj(i -> schedule.delayAfter(1, null)).distinct()
                .count()).isGreaterThan(1);
    }

    @Test
    void retryAfterIsHonouredWhenLongerAndCapped() {
        RetrySchedule schedule = new RetrySchedule(defaults());
        assertThat(schedule.delayAfter(1, Duration.ofHours(1))).isEqualTo(Duration.ofHours(1));
        assertThat(schedule.delayAfter(1, Duration.ofSeconds(1))).isLessThan(Duration.ofMinutes(6));
        assertThat(schedule.delayAfter(1, Duration.ofDays(3))).isEqualTo(Duration.ofHours(12));
        Instant now = Instant.parse("2025-01-01T10:00:00Z");
        assertThat(RetryAfter.parse("120", now)).isEqualTo(Duration.ofSeconds(120));
        assertThat(RetryAfter.parse("Wed, 01 Jan 2025 10:30:00 GMT", now))
                .isEqualTo(Duration.ofMinutes(30));
        assertThat(RetryAfter.parse("Wed, 01 Jan 2025 09:30:00 GMT", now)).isEqualTo(Duration.ZERO);
        assertThat(RetryAfter.parse("soon", now)).isNull();
        assertThat(RetryAfter.parse(null, now)).isNull();
    }

    @Test
    void timeCompressionScalesEveryWait() {
        WebhookSettings fast = settings(defaults().schedule(), 0, 20_000, "", false, true, Duration.ofSeconds(10));
        RetrySchedule schedule = new RetrySchedule(fast);
        assertThat(schedule.delayAfter(4, null)).isEqualTo(Duration.ofMillis(3600));
        assertThat(schedule.delayAfter(1, Duration.ofHours(1))).isEqualTo(Duration.ofMillis(180));
        assertThat(fast.compress(Duration.ofMinutes(5))).isEqualTo(Duration.ofMillis(15));
    }

    @Test
    void settingsAreValidated() {
        assertThatThrownBy(() -> settings(List.of(), 0.1, 1, "", false, true, Duration.ofSeconds(10)))
                .hasMessageContaining("schedule");
        assertThatThrownBy(() -> settings(defaults().schedule(), 1.5, 1, "", false, true, Duration.ofSeconds(10)))
                .hasMessageContaining("jitter");
        assertThatThrownBy(() -> settings(defaults().schedule(), 0.1, 1, "", false, true, Duration.ofSeconds(90)))
                .hasMessageContaining("lease");
    }

    @Test
    void secretsAreWhsecAndSealedAtRestWhenAKeyIsConfigured() {
        String key = Base64.getEncoder().encodeToString(new byte[32]);
        WebhookSecrets sealed = new WebhookSecrets(settings(defaults().schedule(), 0.1, 1, key, false, true,
                Duration.ofSeconds(10)));
        String secret = sealed.generate();
        assertThat(secret).startsWith("whsec_");
        assertThat(Base64.getDecoder().decode(secret.substring(6))).hasSize(32);
        String stored = sealed.seal(secret);
        assertThat(stored).startsWith("aesgcm:").doesNotContain(secret.substring(6));
        assertThat(sealed.seal(secret)).as("a fresh IV each time").isNotEqualTo(stored);
        assertThat(sealed.open(stored)).isEqualTo(secret);

        WebhookSecrets plain = new WebhookSecrets(defaults());
        String plainStored = plain.seal(secret);
        assertThat(plainStored).isEqualTo("plain:" + secret);
        assertThat(sealed.open(plainStored)).as("a key can be introduced later").isEqualTo(secret);
        assertThatThrownBy(() -> plain.open(stored)).hasMessageContaining("secret-key");
        String otherKey = Base64.getEncoder().encodeToString(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
            14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32});
        WebhookSecrets wrong = new WebhookSecrets(settings(defaults().schedule(), 0.1, 1, otherKey, false, true,
                Duration.ofSeconds(10)));
        assertThatThrownBy(() -> wrong.open(stored)).hasMessageContaining("another key");
        assertThatThrownBy(() -> new WebhookSecrets(settings(defaults().schedule(), 0.1, 1, "c2hvcnQ=", false, true,
                Duration.ofSeconds(10)))).hasMessageContaining("32 bytes");
    }

    @Test
    void eventTypeFiltersMatchExactTypesFamiliesAndEverything() {
        assertThat(WebhookEventTypes.matches(List.of(), "transfer.settled")).isTrue();
        assertThat(WebhookEventTypes.matches(List.of("*"), "batch.completed")).isTrue();
        assertThat(WebhookEventTypes.matches(List.of("transfer.*"), "transfer.returned")).isTrue();
        assertThat(WebhookEventTypes.matches(List.of("transfer.*"), "treasury.float_low")).isFalse();
        assertThat(WebhookEventTypes.matches(List.of("transfer.settled", "batch.completed"), "batch.completed"))
                .isTrue();
        assertThat(WebhookEventTypes.matches(List.of("transfer.settled"), "transfer.failed")).isFalse();
        assertThat(WebhookEventTypes.validate(List.of("transfer.*", "transfer.*", "reconciliation.discrepancy")))
                .containsExactly("transfer.*", "reconciliation.discrepancy");
        assertThat(WebhookEventTypes.ALL).contains("transfer.accepted", "transfer.queued", "transfer.submitted",
                "transfer.settled", "transfer.failed", "transfer.returned", "batch.completed",
                "reconciliation.discrepancy", "treasury.float_low");
        assertThatThrownBy(() -> WebhookEventTypes.validate(List.of("transfer.setled")))
                .isInstanceOf(ApiProblem.class).hasMessageContaining("transfer.setled");
        assertThatThrownBy(() -> WebhookEventTypes.validate(List.of("ledger.*"))).isInstanceOf(ApiProblem.class);
        assertThat(WebhookEventTypes.isPublic("ledger.posted")).isFalse();
    }

    @Test
    void urlsAreHttpOrHttpsWithoutCredentialsAndProductionRefusesInternalAddresses() throws Exception {
        UrlPolicy open = new UrlPolicy(defaults());
        assertThat(open.validate("http://127.0.0.1:8080/hooks").toString()).isEqualTo("http://127.0.0.1:8080/hooks");
        assertThat(open.validate("https://example.com/h?x=1")).isNotNull();
        for (String bad : List.of("ftp://example.com/", "example.com/hooks", "https://user:pw@example.com/",
                "https://example.com/#frag", "http:///nohost", "javascript:alert(1)", " ")) {
            assertThatThrownBy(() -> open.validate(bad)).as(bad).isInstanceOf(ApiProblem.class);
        }
        UrlPolicy prod = new UrlPolicy(settings(defaults().schedule(), 0.1, 1, "", true, false,
                Duration.ofSeconds(10)));
        assertThatThrownBy(() -> prod.validate("http://93.184.216.34/")).hasMessageContaining("https");
        for (String internal : List.of("https://127.0.0.1/", "https://10.1.2.3/", "https://192.168.0.10/",
                "https://169.254.169.254/latest/meta-data", "https://[::1]/", "https://localhost/",
                "https://100.64.0.1/", "https://[fd00::1]/", "https://0.0.0.0/")) {
            assertThatThrownBy(() -> prod.validate(internal)).as(internal).isInstanceOf(ApiProblem.class)
                    .hasMessageContaining("internal address");
        }
        assertThat(prod.validate("https://93.184.216.34/hooks")).isNotNull();
        assertThat(UrlPolicy.isInternal(InetAddress.getByName("8.8.8.8"))).isFalse();
    }
}
