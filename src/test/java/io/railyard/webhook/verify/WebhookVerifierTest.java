package io.railyard.webhook.verify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.syntax.ArchRuleDefinition;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WebhookVerifierTest {

    // The Standard Webhooks specification's published vector (also used by its reference libraries).
    private static final String SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private static final String ID = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    private static final long TIMESTAMP = 1614265330;
    private static final byte[] BODY = "{\"test\": 2432232314}".getBytes(StandardCharsets.UTF_8);
    private static final String SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    private static WebhookVerifier at(long epochSecond) {
        return new WebhookVerifier(SECRET, WebhookVerifier.DEFAULT_TOLERANCE,
                Clock.fixed(Instant.ofEpochSecond(epochSecond), ZoneOffset.UTC));
    }

    @Test
    void signingReproducesTheSpecificationVector() {
        assertThat(WebhookVerifier.sign(SECRET, ID, TIMESTAMP, BODY)).isEqualTo(SIGNATURE);
        // the whsec_ prefix is optional, as in the reference libraries
        assertThat(WebhookVerifier.sign(SECRET.substring(6), ID, TIMESTAMP, BODY)).isEqualTo(SIGNATURE);
    }

    @Test
    void theSpecificationVectorVerifies() {
        assertThatCode(() -> at(TIMESTAMP + 10).verify(BODY, ID, Long.toString(TIMESTAMP), SIGNATURE))
                .doesNotThrowAnyException();
    }

    @Test
    void anyOneOfSeveralSignaturesIsEnoughAndOtherSchemesAreIgnored() {
        String header = "v1a,c29tZXRoaW5nIGVsc2U= v1,bm9wZQ== " + SIGNATURE;
        assertThatCode(() -> at(TIMESTAMP).verify(BODY, ID, Long.toString(TIMESTAMP), header))
                .doesNotThrowAnyException();
    }

    @Test
    void headersAreFoundWhateverTheirCase() {
        Map<String, List<String>> headers = Map.of("Webhook-Id", List.of(ID), "WEBHOOK-TIMESTAMP",
                List.of(Long.toString(TIMESTAMP)), "webhook-signature", List.of("v1,bm9wZQ==", SIGNATURE));
        assertThatCode(() -> at(TIMESTAMP).verify(BODY, headers)).doesNotThrowAnyException();
    }

    @Test
    void aTamperedBodyIdOrTimestampIsRefused() {
        String ts = Long.toString(TIMESTAMP);
        assertRefused(() -> at(TIMESTAMP).verify("{\"test\": 2432232315}".getBytes(StandardCharsets.UTF_8), ID, ts,
                SIGNATURE), "no matching signature");
        assertRefused(() -> at(TIMESTAMP).verify(BODY, "msg_other", ts, SIGNATURE), "no matching signature");
        assertRefused(() -> at(TIMESTAMP).verify(BODY, ID, Long.toString(TIMESTAMP + 1), SIGNATURE),
                "no matching signature");
        assertRefused(() -> new WebhookVerifier("whsec_" + "QUJDREVGR0hJSktMTU5PUA==", Duration.ofMinutes(5),
                Clock.fixed(Instant.ofEpochSecond(TIMESTAMP), ZoneOffset.UTC)).verify(BODY, ID, ts, SIGNATURE),
                "no matching signature");
        assertRefused(() -> at(TIMESTAMP).verify(BODY, ID, ts, "v1,not-base64!"), "no matching signature");
    }

    @Test
    void timestampsOutsideTheToleranceAreRefused() {
        String ts = Long.toString(TIMESTAMP);
        assertRefused(() -> at(TIMESTAMP + 301).verify(BODY, ID, ts, SIGNATURE), "too old");
        assertRefused(() -> at(TIMESTAMP - 301).verify(BODY, ID, ts, SIGNATURE), "future");
        assertThatCode(() -> at(TIMESTAMP + 300).verify(BODY, ID, ts, SIGNATURE)).doesNotThrowAnyException();
        assertRefused(() -> at(TIMESTAMP).verify(BODY, ID, "yesterday", SIGNATURE), "Unix time");
    }

    @Test
    void missingHeadersAreRefused() {
        assertRefused(() -> at(TIMESTAMP).verify(BODY, Map.of()), "missing");
        assertRefused(() -> at(TIMESTAMP).verify(BODY, ID, Long.toString(TIMESTAMP), " "), "missing");
    }

    @Test
    void aMalformedSecretIsRefusedUpFront() {
        assertThatThrownBy(() -> new WebhookVerifier("whsec_%%%")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new WebhookVerifier("")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void thePackageDependsOnTheJdkOnlySoPartnersCanUseItAlone() {
        ArchRuleDefinition.classes().that().resideInAPackage("io.railyard.webhook.verify")
                .should().onlyDependOnClassesThat().resideInAnyPackage("java..", "javax..", "io.railyard.webhook.verify")
                .check(new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                        .importPackages("io.railyard.webhook.verify"));
    }

    private interface Check {
        void run() throws WebhookVerificationException;
    }

    private static void assertRefused(Check check, String why) {
        assertThatThrownBy(check::run).isInstanceOf(WebhookVerificationException.class).hasMessageContaining(why);
    }
}
