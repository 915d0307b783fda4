package io.railyard.webhook;

import io.railyard.api.RetryAfter;
import io.railyard.webhook.verify.WebhookVerifier;
import java.io.ByteArrayOutputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;

/**
 * One signed HTTP POST of a webhook (Standard Webhooks headers), without blocking the caller: the outcome completes
 * when the receiver answered (status, the first 2 KB of its body) or failed (connection, timeout). Redirects are not
 * followed: a 3xx is a failure, so a receiver cannot bounce the hub elsewhere.
 */
@Component
class WebhookSender implements DisposableBean {

    static final int EXCERPT_BYTES = 2048;
    static final String USER_AGENT = "Railyard-Webhooks/1.0 (+https://railyard.dev/docs/webhooks)";

    private final WebhookSettings settings;
    private final UrlPolicy urls;
    private final ExecutorService executor;
    private final HttpClient client;

    WebhookSender(WebhookSettings settings, UrlPolicy urls) {
        this.settings = settings;
        this.urls = urls;
        AtomicInteger n = new AtomicInteger();
        this.executor = Executors.newCachedThreadPool(task -> {
            Thread thread = new Thread(task, "webhook-http-" + n.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(settings.connectTimeout())
                .executor(executor)
                .build();
    }

    /** What is sent. {@code secrets}: the endpoint's signing secrets now (two during a rotation overlap). */
    record Message(String url, String webhookId, String payload, List<String> secrets) {
    }

    /** One attempt's record: the request headers sent, and the response (status null when there was none). */
    record Outcome(Instant attemptedAt, String url, Map<String, String> requestHeaders, Integer status,
            Map<String, String> responseHeaders, String responseBody, long latencyMs, String error,
            Duration retryAfter) {

        boolean succeeded() {
            return status != null && status >= 200 && status < 300;
        }

        boolean gone() {
            return status != null && status == 410;
        }
    }

    CompletableFuture<Outcome> send(Message message) {
        Instant attemptedAt = Instant.now();
        long started = System.nanoTime();
        byte[] body = message.payload().getBytes(StandardCharsets.UTF_8);
        long timestamp = attemptedAt.getEpochSecond();
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("content-type", "application/json");
        headers.put("user-agent", USER_AGENT);
        headers.put(WebhookVerifier.ID_HEADER, message.webhookId());
        headers.put(WebhookVerifier.TIMESTAMP_HEADER, Long.toString(timestamp));
        headers.put(WebhookVerifier.SIGNATURE_HEADER, message.secrets().stream()
                .map(secret -> WebhookVerifier.sign(secret, message.webhookId(), timestamp, body))
                .collect(Collectors.joining(" ")));
        URI uri;
        try {
            uri = URI.create(message.url());
        } catch (IllegalArgumentException e) {
            return CompletableFuture.completedFuture(failure(attemptedAt, message, headers, started, "invalid URL"));
        }
        String refused = urls.refusedAddress(uri);
        if (refused != null) {
            return CompletableFuture.completedFuture(failure(attemptedAt, message, headers, started, refused));
        }
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(settings.timeout())
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        headers.forEach(request::header);
        CompletableFuture<HttpResponse<String>> call = client.sendAsync(request.build(), info -> excerpt());
        return call.orTimeout(settings.timeout().toMillis(), TimeUnit.MILLISECONDS).handle((response, fault) -> {
            long latency = (System.nanoTime() - started) / 1_000_000;
            if (fault != null) {
                call.cancel(true);
                return new Outcome(attemptedAt, message.url(), headers, null, null, null, latency, describe(fault),
                        null);
            }
            return new Outcome(attemptedAt, message.url(), headers, response.statusCode(),
                    responseHeaders(response.headers()), response.body(), latency, null,
                    RetryAfter.parse(response.headers().firstValue("retry-after").orElse(null),
                            Instant.now()));
        });
    }

    private static Outcome failure(Instant at, Message message, Map<String, String> headers, long started,
            String error) {
        return new Outcome(at, message.url(), headers, null, null, null, (System.nanoTime() - started) / 1_000_000,
                error, null);
    }

    private String describe(Throwable fault) {
        Throwable cause = fault instanceof CompletionException && fault.getCause() != null ? fault.getCause() : fault;
        if (cause instanceof HttpConnectTimeoutException) {
            return "connect timeout after " + settings.connectTimeout().toMillis() + " ms";
        }
        if (cause instanceof HttpTimeoutException || cause instanceof TimeoutException) {
            return "timeout: no complete answer within " + settings.timeout().toMillis() + " ms";
        }
        if (cause instanceof ConnectException) {
            return "connection refused or unreachable";
        }
        String message = cause.getMessage();
        return cause.getClass().getSimpleName() + (message == null ? "" : ": " + truncate(message, 300));
    }

    private static Map<String, String> responseHeaders(HttpHeaders headers) {
        Map<String, String> kept = new LinkedHashMap<>();
        headers.map().forEach((name, values) -> {
            if (kept.size() < 30 && !name.startsWith(":")) {
                kept.put(name.toLowerCase(), truncate(String.join(", ", values).replace("\u0000", ""), 256));
            }
        });
        return kept;
    }

    static String truncate(String text, int max) {
        return text.length() <= max ? text : text.substring(0, max);
    }

    /** Keeps the first 2 KB of a response body and discards the rest (reading it all keeps the connection usable). */
    private static HttpResponse.BodySubscriber<String> excerpt() {
        ByteArrayOutputStream kept = new ByteArrayOutputStream();
        Flow.Subscriber<List<ByteBuffer>> subscriber = new Flow.Subscriber<>() {
            @Override
            public void onSubscribe(Flow.Subscription subscription) {
                subscription.request(Long.MAX_VALUE);
            }

            @Override
            public void onNext(List<ByteBuffer> buffers) {
                for (ByteBuffer buffer : buffers) {
                    int take = Math.min(buffer.remaining(), EXCERPT_BYTES - kept.size());
                    if (take > 0) {
                        byte[] bytes = new byte[take];
                        buffer.get(bytes);
                        kept.write(bytes, 0, take);
                    }
                }
            }

            @Override
            public void onError(Throwable throwable) {
            }

            @Override
            public void onComplete() {
            }
        };
        return HttpResponse.BodySubscribers.fromSubscriber(subscriber,
                s -> new String(kept.toByteArray(), StandardCharsets.UTF_8).replace("\u0000", ""));
    }

    @Override
    public void destroy() {
        executor.shutdownNow();
    }

    Duration timeout() {
        return settings.timeout();
    }
}
