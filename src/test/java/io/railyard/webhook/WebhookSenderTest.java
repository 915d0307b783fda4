package io.railyard.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.railyard.webhook.WebhookReceiver.Answer;
import io.railyard.webhook.verify.WebhookVerifier;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** One attempt against a real loopback receiver, without the hub. */
class WebhookSenderTest {

    private static final String SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private static final String OLD_SECRET = "whsec_QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=";

    private final WebhookSettings settings = WebhookUnitsTest.settings(WebhookUnitsTest.defaults().schedule(), 0.1, 1,
            "", false, true, Duration.ofMillis(500));
    private final WebhookSender sender = new WebhookSender(settings, new UrlPolicy(settings));

    @AfterEach
    void close() {
        sender.destroy();
    }

    private WebhookSender.Outcome send(String url, List<String> secrets) throws Exception {
        return sender.send(new WebhookSender.Message(url, "evt-1", "{\"id\":\"evt-1\"}", secrets))
                .get(10, TimeUnit.SECONDS);
    }

    @Test
    void a2xxIsASuccessAndDuringARotationBothSecretsSign() throws Exception {
        try (WebhookReceiver receiver = new WebhookReceiver().answer(202)) {
            WebhookSender.Outcome outcome = send(receiver.url(), List.of(SECRET, OLD_SECRET));
            assertThat(outcome.succeeded()).isTrue();
            assertThat(outcome.status()).isEqualTo(202);
            WebhookReceiver.Received request = receiver.received().get(0);
            assertThat(request.header("webhook-signature").split(" ")).hasSize(2);
            // a receiver still holding either secret verifies it
            assertThatCode(() -> new WebhookVerifier(SECRET).verify(request.body(), request.headers()))
                    .doesNotThrowAnyException();
            assertThatCode(() -> new WebhookVerifier(OLD_SECRET).verify(request.body(), request.headers()))
                    .doesNotThrowAnyException();
            assertThat(outcome.requestHeaders()).containsEntry("webhook-id", "evt-1")
                    .containsKeys("webhook-timestamp", "webhook-signature", "user-agent", "content-type");
        }
    }

    @Test
    void anAnswerAfterTheTimeoutIsAFailure() throws Exception {
        CountDownLatch never = new CountDownLatch(1);
        try (WebhookReceiver receiver = new WebhookReceiver()) {
            receiver.answer(request -> {
                try {
                    never.await(3, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return Answer.of(200);
            });
            WebhookSender.Outcome outcome = send(receiver.url(), List.of(SECRET));
            assertThat(outcome.succeeded()).isFalse();
            assertThat(outcome.status()).isNull();
            assertThat(outcome.error()).contains("timeout");
            assertThat(outcome.latencyMs()).isBetween(400L, 2500L);
        } finally {
            never.countDown();
        }
    }

    @Test
    void redirectsAreNotFollowedAndBodiesAreCutAt2Kb() throws Exception {
        try (WebhookReceiver receiver = new WebhookReceiver()) {
            receiver.answer(request -> new Answer(302, Map.of("Location", "http://169.254.169.254/"), "x".repeat(5000)));
            WebhookSender.Outcome outcome = send(receiver.url(), List.of(SECRET));
            assertThat(outcome.succeeded()).isFalse();
            assertThat(outcome.status()).isEqualTo(302);
            assertThat(outcome.responseBody()).hasSize(2048);
            assertThat(outcome.responseHeaders()).containsKey("location");
            assertThat(receiver.received()).hasSize(1);
        }
    }

    @Test
    void aRefusedConnectionIsAFailureWithAReason() throws Exception {
        WebhookReceiver receiver = new WebhookReceiver();
        String url = receiver.url();
        receiver.close();
        WebhookSender.Outcome outcome = send(url, List.of(SECRET));
        assertThat(outcome.succeeded()).isFalse();
        assertThat(outcome.error()).isNotBlank();
        assertThat(outcome.gone()).isFalse();
    }

    @Test
    void withoutPrivateNetworksAnInternalAddressIsNeverCalled() throws Exception {
        WebhookSettings prod = WebhookUnitsTest.settings(settings.schedule(), 0.1, 1, "", false, false,
                Duration.ofMillis(500));
        WebhookSender guarded = new WebhookSender(prod, new UrlPolicy(prod));
        try (WebhookReceiver receiver = new WebhookReceiver()) {
            WebhookSender.Outcome outcome = guarded.send(new WebhookSender.Message(receiver.url(), "evt-2", "{}",
                    List.of(SECRET))).get(5, TimeUnit.SECONDS);
            assertThat(outcome.error()).contains("internal address");
            assertThat(receiver.received()).isEmpty();
        } finally {
            guarded.destroy();
        }
    }
}
