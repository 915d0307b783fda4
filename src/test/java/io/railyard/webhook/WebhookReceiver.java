package io.railyard.webhook;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A real HTTP receiver on loopback (the JDK's server, port 0): records every request (headers, raw body) and answers
 * as told. It can be taken down (nothing listens: connection refused) and brought back on the same port.
 */
public final class WebhookReceiver implements AutoCloseable {

    /** One request as received. Header names are lower case. */
    public record Received(Map<String, List<String>> headers, byte[] body, Instant at) {
        public String header(String name) {
            List<String> values = headers.get(name.toLowerCase());
            return values == null || values.isEmpty() ? null : values.get(0);
        }

        public String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** An answer. */
    public record Answer(int status, Map<String, String> headers, String body) {
        public static Answer of(int status) {
            return new Answer(status, Map.of(), "");
        }

        public static Answer of(int status, String body) {
            return new Answer(status, Map.of(), body);
        }
    }

    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final AtomicInteger concurrent = new AtomicInteger();
    private final AtomicInteger maxConcurrent = new AtomicInteger();
    private final ExecutorService executor = Executors.newCachedThreadPool(task -> {
        Thread thread = new Thread(task, "test-receiver");
        thread.setDaemon(true);
        return thread;
    });
    private volatile Function<Received, Answer> behaviour = request -> Answer.of(204);
    private volatile HttpServer server;
    private final int port;

    public WebhookReceiver() {
        this.server = start(0);
        this.port = server.getAddress().getPort();
    }

    private HttpServer start(int onPort) {
        try {
            HttpServer created = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), onPort), 100);
            created.createContext("/", exchange -> {
                int now = concurrent.incrementAndGet();
                maxConcurrent.accumulateAndGet(now, Math::max);
                try {
                    Map<String, List<String>> headers = new TreeMap<>();
                    exchange.getRequestHeaders().forEach((name, values) -> headers.put(name.toLowerCase(),
                            new ArrayList<>(values)));
                    Received request = new Received(headers, exchange.getRequestBody().readAllBytes(), Instant.now());
                    received.add(request);
                    Answer answer = behaviour.apply(request);
                    answer.headers().forEach((name, value) -> exchange.getResponseHeaders().add(name, value));
                    byte[] body = answer.body().getBytes(StandardCharsets.UTF_8);
                    exchange.sendResponseHeaders(answer.status(), body.length == 0 ? -1 : body.length);
                    if (body.length > 0) {
                        exchange.getResponseBody().write(body);
                    }
                } finally {
                    concurrent.decrementAndGet();
                    exchange.close();
                }
            });
            created.setExecutor(executor);
            created.start();
            return created;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String url() {
        return "http://127.0.0.1:" + port + "/hooks";
    }

    public WebhookReceiver answer(Function<Received, Answer> behaviour) {
        this.behaviour = behaviour;
        return this;
    }

    public WebhookReceiver answer(int status) {
        return answer(request -> Answer.of(status));
    }

    public List<Received> received() {
        return List.copyOf(received);
    }

    /** Requests carrying this webhook-id. */
    public List<Received> withId(String webhookId) {
        return received.stream().filter(r -> webhookId.equals(r.header("webhook-id"))).toList();
    }

    public int maxConcurrent() {
        return maxConcurrent.get();
    }

    /** Nothing listens on the port any more: connections are refused. */
    public void down() {
        server.stop(0);
    }

    /** Listening again, on the same port. */
    public void up() {
        server = start(port);
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
