package io.railyard.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.railyard.transfer.TransferFixtures;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.stream.Stream;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.apache.hc.client5.http.async.methods.SimpleHttpRequest;
import org.apache.hc.client5.http.async.methods.SimpleHttpResponse;
import org.apache.hc.client5.http.async.methods.SimpleRequestBuilder;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.async.CloseableHttpAsyncClient;
import org.apache.hc.client5.http.impl.async.HttpAsyncClients;
import org.apache.hc.client5.http.impl.nio.PoolingAsyncClientConnectionManagerBuilder;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http2.HttpVersionPolicy;
import org.apache.hc.core5.reactor.IOReactorConfig;
import org.apache.hc.core5.util.Timeout;

/**
 * Drives a running hub over HTTP at a fixed request rate (open loop: latency counts from the moment a request was
 * due, so a slow hub cannot hide its queueing) with a mix of single transfers across rails and protocols, batches and
 * idempotent replays; then waits until every accepted transfer is final and reports accept → SETTLED times and the
 * settled throughput. Figures go to stdout; run it with {@code bench/load.sh}.
 *
 * <p>It creates its own partners through the ops API and funds them, so it needs only the hub's URL and ops
 * credentials. Requests go to {@code --partners} partners in turn: one partner measures a hot balance account (every
 * hold locks the same row), several measure a partner population.
 *
 * <p>Its HTTP client is Apache HttpClient's async one, on one I/O thread with a bounded pool of kept-alive connections:
 * on a 2-core machine the harness shares the CPU with the hub and PostgreSQL, and the JDK's client took 0.75 ms of CPU
 * per request (a thread hand-off per answer, a connection per request in flight), more than a third of the hub's own.
 * It reports its own CPU per request beside the hub's.
 */
public final class LoadHarness {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> FINAL = Set.of("SETTLED", "FAILED", "RETURNED", "CANCELLED");
    private static final String HUB = "hub";
    private static final String HARNESS = "harness";
    /** The hub's JIT compiler threads, a part of its CPU: what it still spends warming up. */
    private static final String HUB_JIT = "hub JIT";
    private static final List<Function<Map<String, Object>, Map<String, Object>>> PROTOCOLS = List.of(
            body -> body, TransferFixtures::x402, TransferFixtures::ap2, TransferFixtures::acp);

    private final Options options;
    private final CloseableHttpAsyncClient http;
    private final Map<String, Recorder> latencies = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> outcomes = new ConcurrentHashMap<>();
    private final AtomicLong requestsSent = new AtomicLong();
    private final ConcurrentLinkedQueue<String> acceptedIds = new ConcurrentLinkedQueue<>();
    private final Map<String, String> batchPartners = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<Sent> replayable = new ConcurrentLinkedQueue<>();
    private final List<String> partnerKeys = new ArrayList<>();

    private LoadHarness(Options options) {
        this.options = options;
        this.http = HttpAsyncClients.custom()
                .setVersionPolicy(HttpVersionPolicy.FORCE_HTTP_1)
                .setIOReactorConfig(IOReactorConfig.custom().setIoThreadCount(1).build())
                .setConnectionManager(PoolingAsyncClientConnectionManagerBuilder.create()
                        .setMaxConnTotal(options.connections).setMaxConnPerRoute(options.connections)
                        .setDefaultConnectionConfig(ConnectionConfig.custom()
                                .setConnectTimeout(Timeout.ofSeconds(5)).build())
                        .build())
                .setDefaultRequestConfig(RequestConfig.custom().setResponseTimeout(Timeout.ofSeconds(30)).build())
                .disableAutomaticRetries().disableCookieManagement().disableRedirectHandling()
                .build();
    }

    public static void main(String[] args) throws Exception {
        LoadHarness harness = new LoadHarness(Options.parse(args));
        try (CloseableHttpAsyncClient http = harness.http) {
            http.start();
            harness.run();
        }
    }

    private void run() throws Exception {
        System.out.printf("Railyard load: %s, %d req/s for %d s, %d partner(s), mix %s, batches of %d every %d requests, "
                + "%.0f%% replays%n", options.url, options.rate, options.seconds, options.partners, options.mix,
                options.batchSize, options.batchEvery, options.replayShare * 100);
        for (int i = 0; i < options.partners; i++) {
            partnerKeys.add(createFundedPartner());
        }
        if (options.warmupSeconds > 0) {
            Instant warmupStarted = Instant.now();
            drive(options.warmupSeconds);
            if (options.settleWaitSeconds > 0) {
                awaitFinal(warmupStarted); // the measured run starts with the pipeline empty
            }
            latencies.clear();
            outcomes.clear();
            requestsSent.set(0);
            acceptedIds.clear();
            batchPartners.clear();
            System.out.printf("Warm-up: %d s at the same rate, left out of every figure below%n", options.warmupSeconds);
        }
        Map<String, Long> cpuBefore = cpuMillis();
        Instant started = Instant.now();
        drive(options.seconds);
        Duration sent = Duration.between(started, Instant.now());
        Map<String, Long> cpuSent = cpuMillis();
        long hubCpu = cpuSent.get(HUB) - cpuBefore.get(HUB);
        report(sent);
        if (options.hubPid > 0) {
            long answered = outcomes.entrySet().stream().filter(outcome -> outcome.getKey().endsWith(" 201"))
                    .mapToLong(outcome -> outcome.getValue().get()).sum();
            System.out.printf("Hub CPU while sending: %.1f s (%.2f cores), %.2f ms per request answered 201; %s%n",
                    hubCpu / 1000.0, (double) hubCpu / sent.toMillis(), (double) hubCpu / Math.max(answered, 1),
                    jitShare(cpuBefore, cpuSent));
        }
        long harnessCpu = cpuMillis().get(HARNESS) - cpuBefore.get(HARNESS);
        System.out.printf("Harness CPU while sending: %.1f s (%.2f cores), %.2f ms per request sent%n",
                harnessCpu / 1000.0, (double) harnessCpu / sent.toMillis(),
                (double) harnessCpu / Math.max(1, requestsSent.get()));
        awaitSettlement(started, cpuBefore);
    }

    /**
     * CPU time, user and system, read from /proc (Linux), of the hub (when its pid was given; 0 otherwise) and of each
     * process beside it ({@code --side-pids}: the broker and the sandboxes when they run on their own), and of this
     * harness.
     */
    private Map<String, Long> cpuMillis() throws IOException {
        Map<String, Long> cpu = new LinkedHashMap<>();
        cpu.put(HUB, options.hubPid > 0 ? cpuMillis(options.hubPid) : 0);
        cpu.put(HUB_JIT, options.hubPid > 0 ? jitMillis(options.hubPid) : 0);
        cpu.put(HARNESS, cpuMillis(ProcessHandle.current().pid()));
        for (Map.Entry<String, Long> side : options.sidePids.entrySet()) {
            cpu.put(side.getKey(), cpuMillis(side.getValue()));
        }
        return cpu;
    }

    private static long cpuMillis(long pid) throws IOException {
        return cpuMillis(Files.readString(Path.of("/proc", String.valueOf(pid), "stat")));
    }

    /** utime + stime of a process's or a thread's {@code stat} line, in 10 ms clock ticks. */
    private static long cpuMillis(String stat) {
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) * 10;
    }

    /**
     * CPU time of a JVM's JIT compiler threads (HotSpot names them "C1 CompilerThreadN" and "C2 CompilerThreadN", cut
     * to 15 characters in /proc). A compiler thread HotSpot has ended meanwhile is not counted.
     */
    private static long jitMillis(long pid) throws IOException {
        long jit = 0;
        try (Stream<Path> threads = Files.list(Path.of("/proc", String.valueOf(pid), "task"))) {
            for (Path thread : (Iterable<Path>) threads::iterator) {
                try {
                    String stat = Files.readString(thread.resolve("stat"));
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                    if (name.matches("C[12] CompilerThre.*")) {
                        jit += cpuMillis(stat);
                    }
                } catch (NoSuchFileException ended) {
                    // a thread that ended since the listing
                }
            }
        }
        return jit;
    }

    /** How much of the hub's CPU between two readings its JIT compilers took. */
    private static String jitShare(Map<String, Long> before, Map<String, Long> after) {
        long hub = after.get(HUB) - before.get(HUB);
        long jit = after.get(HUB_JIT) - before.get(HUB_JIT);
        return String.format("its JIT compilers %.1f s of it (%.0f %%)", jit / 1000.0, 100.0 * jit / Math.max(hub, 1));
    }

    private String createFundedPartner() throws Exception {
        JsonNode partner = JSON.readTree(ops("POST", "/v1/ops/partners",
                Map.of("name", "load-" + UUID.randomUUID().toString().substring(0, 8))));
        String partnerKey = partner.path("api_key").path("key").asText();
        String id = partner.path("partner").path("id").asText();
        if (partnerKey.isEmpty() || id.isEmpty()) {
            throw new IllegalStateException("Unexpected partner creation answer: " + partner);
        }
        for (String currency : List.of("BRL", "MXN", "USDC", "USD")) {
            ops("POST", "/v1/ops/partners/" + id + "/deposits",
                    Map.of("currency", currency, "amount", "100000000", "reference", "load-" + currency));
        }
        return partnerKey;
    }

    /** Sends at the target rate from one pacing thread; in-flight requests are bounded so a stalled hub fails fast. */
    private void drive(int seconds) throws InterruptedException {
        long intervalNanos = TimeUnit.SECONDS.toNanos(1) / options.rate;
        long total = (long) options.rate * seconds;
        Semaphore inFlight = new Semaphore(options.maxInFlight);
        long start = System.nanoTime();
        List<CompletableFuture<?>> pending = new ArrayList<>();
        for (long n = 0; n < total; n++) {
            long due = start + n * intervalNanos;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
            if (!inFlight.tryAcquire()) {
                count("dropped (in-flight limit " + options.maxInFlight + ")");
                continue;
            }
            CompletableFuture<?> call = next(n, due).whenComplete((ok, error) -> inFlight.release());
            pending.add(call);
        }
        CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).exceptionally(e -> null).join();
    }

    private CompletableFuture<?> next(long n, long due) {
        String partnerKey = partnerKeys.get((int) (n % partnerKeys.size()));
        if (options.batchEvery > 0 && n % options.batchEvery == options.batchEvery - 1) {
            return send("batch", partnerKey, "/v1/transfers/batch", UUID.randomUUID().toString(), batchBody(), due);
        }
        Sent previous = options.replayShare > 0 && ThreadLocalRandom.current().nextDouble() < options.replayShare
                ? replayable.poll() : null;
        if (previous != null) {
            return send("replay", previous.partnerKey, "/v1/transfers", previous.key, previous.body, due);
        }
        String key = UUID.randomUUID().toString();
        String body = write(transferBody(n));
        return send("transfer", partnerKey, "/v1/transfers", key, body, due).thenAccept(status -> {
            if (status == 201) {
                replayable.add(new Sent(partnerKey, key, body));
            }
        });
    }

    private CompletableFuture<Integer> send(String kind, String partnerKey, String path, String key, String body,
            long due) {
        SimpleHttpRequest request = SimpleRequestBuilder.post(options.url + path)
                .addHeader("Authorization", "Bearer " + partnerKey).addHeader("Idempotency-Key", key)
                .setBody(body, ContentType.APPLICATION_JSON).build();
        requestsSent.incrementAndGet();
        return call(request).handle((response, error) -> {
            latencies.computeIfAbsent(kind, k -> new Recorder(3)).recordValue((System.nanoTime() - due) / 1_000);
            if (error != null) {
                Throwable cause = error.getCause() == null ? error : error.getCause();
                count(kind + " error " + cause.getClass().getSimpleName());
                return -1;
            }
            count(kind + " " + response.getCode());
            if (response.getCode() == 201 && !kind.equals("replay")) {
                collectIds(kind, partnerKey, response.getBodyText());
            }
            return response.getCode();
        });
    }

    private CompletableFuture<SimpleHttpResponse> call(SimpleHttpRequest request) {
        CompletableFuture<SimpleHttpResponse> answer = new CompletableFuture<>();
        http.execute(request, new FutureCallback<>() {
            @Override
            public void completed(SimpleHttpResponse response) {
                answer.complete(response);
            }

            @Override
            public void failed(Exception error) {
                answer.completeExceptionally(error);
            }

            @Override
            public void cancelled() {
                answer.completeExceptionally(new CancellationException());
            }
        });
        return answer;
    }

    /** A call of the harness's own, outside the measured load: its answer's body, or the failure. */
    private String get(String path, String authorization) throws Exception {
        return call(SimpleRequestBuilder.get(options.url + path).addHeader("Authorization", authorization).build())
                .get(30, TimeUnit.SECONDS).getBodyText();
    }

    private void collectIds(String kind, String partnerKey, String body) {
        try {
            JsonNode answer = JSON.readTree(body);
            if (kind.equals("transfer")) {
                acceptedIds.add(answer.path("id").asText());
            } else {
                batchPartners.put(answer.path("id").asText(), partnerKey);
                outcomes.computeIfAbsent("batch items accepted", k -> new AtomicLong())
                        .addAndGet(answer.path("progress").path("total").asLong());
            }
        } catch (Exception e) {
            count(kind + " unreadable answer");
        }
    }

    private Map<String, Object> transferBody(long n) {
        String rail = options.pickRail(ThreadLocalRandom.current().nextInt(100));
        Map<String, Object> body = switch (rail) {
            case "pix" -> TransferFixtures.pix("10.00");
            case "spei" -> TransferFixtures.spei("25.00");
            case "circle" -> TransferFixtures.circle("5.000000");
            case "base" -> TransferFixtures.base("5.000000");
            default -> throw new IllegalArgumentException("Unknown rail in --mix: " + rail);
        };
        body.put("reference", "load-" + n);
        return PROTOCOLS.get((int) (n % PROTOCOLS.size())).apply(body);
    }

    private String batchBody() {
        List<Map<String, Object>> items = new ArrayList<>();
        for (int i = 0; i < options.batchSize; i++) {
            Map<String, Object> item = i % 2 == 0 ? TransferFixtures.pix("1.00") : TransferFixtures.spei("1.00");
            item.put("reference", "batch-item-" + i);
            items.add(item);
        }
        return write(Map.of("mode", "atomic", "items", items));
    }

    private void report(Duration sent) {
        System.out.printf("%nSent for %.1f s%n", sent.toMillis() / 1000.0);
        new TreeMap<>(outcomes).forEach((outcome, count) -> System.out.printf("  %-40s %,10d (%.1f/s)%n", outcome,
                count.get(), count.get() * 1000.0 / sent.toMillis()));
        System.out.println("Latency from due time, ms:      p50      p90      p99    p99.9      max      n");
        latencies.forEach((kind, recorder) -> {
            Histogram h = recorder.getIntervalHistogram();
            System.out.printf("  %-22s %8.2f %8.2f %8.2f %8.2f %8.2f %6d%n", kind, ms(h, 50), ms(h, 90), ms(h, 99),
                    ms(h, 99.9), h.getMaxValue() / 1000.0, h.getTotalCount());
        });
    }

    /**
     * Waits until every transfer created since {@code started} is final, then reports settlement and the hub's CPU
     * time from {@code started} until then: the whole work of accepting and settling them, per transfer.
     */
    private void awaitSettlement(Instant started, Map<String, Long> cpuBefore) throws Exception {
        if (options.settleWaitSeconds <= 0) {
            return;
        }
        List<JsonNode> all = awaitFinal(started);
        Map<String, Long> cpuAfter = cpuMillis();
        long hubCpu = cpuAfter.get(HUB) - cpuBefore.get(HUB);
        Map<String, Integer> byStatus = new TreeMap<>();
        Histogram settleMs = new Histogram(3);
        Instant first = null;
        Instant last = null;
        for (JsonNode transfer : all) {
            String status = transfer.path("status").asText();
            byStatus.merge(status, 1, Integer::sum);
            Instant created = Instant.parse(transfer.path("created_at").asText());
            first = first == null || created.isBefore(first) ? created : first;
            if (status.equals("SETTLED")) {
                Instant settled = Instant.parse(transfer.path("updated_at").asText());
                settleMs.recordValue(Math.max(0, Duration.between(created, settled).toMillis()));
                last = last == null || settled.isAfter(last) ? settled : last;
            }
        }
        System.out.printf("%nTransfers created in the run (singles + batch items): %,d, by status %s%n", all.size(), byStatus);
        if (last != null) {
            double seconds = Duration.between(first, last).toMillis() / 1000.0;
            System.out.printf("Settled: %,d in %.1f s from the first accept to the last settlement = %.1f settled/s%n",
                    settleMs.getTotalCount(), seconds, settleMs.getTotalCount() / seconds);
            System.out.printf("Accept -> SETTLED, ms: p50 %d, p95 %d, p99 %d, max %d%n",
                    settleMs.getValueAtPercentile(50), settleMs.getValueAtPercentile(95),
                    settleMs.getValueAtPercentile(99), settleMs.getMaxValue());
        }
        System.out.printf("Single transfers acknowledged with 201: %,d%n", acceptedIds.size());
        if (options.hubPid > 0 && last != null) {
            System.out.printf("Hub CPU from the first request until every transfer was final: %.1f s, %.2f ms per "
                    + "settled transfer (accepting, routing, paying, settling, events, and this harness's status "
                    + "polls; %s); %s%n", hubCpu / 1000.0, (double) hubCpu / settleMs.getTotalCount(),
                    options.sidePids.isEmpty() ? "the in-process sandboxes' and embedded broker's share included"
                            : "the broker and the sandboxes ran in processes of their own",
                    jitShare(cpuBefore, cpuAfter));
            for (String side : options.sidePids.keySet()) {
                long cpu = cpuAfter.get(side) - cpuBefore.get(side);
                System.out.printf("  %s CPU meanwhile: %.1f s, %.2f ms per settled transfer%n", side, cpu / 1000.0,
                        (double) cpu / settleMs.getTotalCount());
            }
        }
        reportBatches();
    }

    /** Polls the transfer list every 2 s until every transfer created since {@code started} is final (or settle-wait). */
    private List<JsonNode> awaitFinal(Instant started) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(options.settleWaitSeconds);
        List<JsonNode> all;
        do {
            TimeUnit.SECONDS.sleep(2);
            all = listSince(started);
        } while (all.stream().anyMatch(t -> !FINAL.contains(t.path("status").asText())) && System.nanoTime() < deadline);
        return all;
    }

    /** Each batch from its creation to COMPLETED (its {@code completed_at}: when its last item became final). */
    private void reportBatches() throws Exception {
        if (batchPartners.isEmpty()) {
            return;
        }
        Histogram completionMs = new Histogram(3);
        Map<String, Integer> byStatus = new TreeMap<>();
        for (Map.Entry<String, String> batch : batchPartners.entrySet()) {
            JsonNode answer = JSON.readTree(get("/v1/transfers/batch/" + batch.getKey(), "Bearer " + batch.getValue()));
            byStatus.merge(answer.path("status").asText(), 1, Integer::sum);
            if (answer.hasNonNull("completed_at")) {
                completionMs.recordValue(Duration.between(Instant.parse(answer.path("created_at").asText()),
                        Instant.parse(answer.path("completed_at").asText())).toMillis());
            }
        }
        System.out.printf("Batches: %d by status %s; created -> COMPLETED, ms: p50 %d, p95 %d, max %d%n",
                batchPartners.size(), byStatus, completionMs.getValueAtPercentile(50),
                completionMs.getValueAtPercentile(95), completionMs.getMaxValue());
    }

    private List<JsonNode> listSince(Instant started) throws Exception {
        List<JsonNode> all = new ArrayList<>();
        for (String partnerKey : partnerKeys) {
            all.addAll(listSince(started, partnerKey));
        }
        return all;
    }

    private List<JsonNode> listSince(Instant started, String partnerKey) throws Exception {
        List<JsonNode> all = new ArrayList<>();
        String cursor = null;
        do {
            String path = "/v1/transfers?limit=200&created_after=" + URLEncoder.encode(started.toString(), StandardCharsets.UTF_8)
                    + (cursor == null ? "" : "&cursor=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8));
            JsonNode page = JSON.readTree(get(path, "Bearer " + partnerKey));
            page.path("data").forEach(all::add);
            cursor = page.path("next_cursor").isTextual() ? page.path("next_cursor").asText() : null;
        } while (cursor != null);
        return all;
    }

    private String ops(String method, String path, Map<String, Object> body) throws Exception {
        String credentials = Base64.getEncoder().encodeToString(options.ops.getBytes(StandardCharsets.UTF_8));
        SimpleHttpRequest request = SimpleRequestBuilder.create(method).setUri(options.url + path)
                .addHeader("Authorization", "Basic " + credentials)
                .setBody(write(body), ContentType.APPLICATION_JSON).build();
        SimpleHttpResponse response = call(request).get(30, TimeUnit.SECONDS);
        if (response.getCode() >= 300) {
            throw new IllegalStateException(method + " " + path + " → " + response.getCode() + " "
                    + response.getBodyText());
        }
        return response.getBodyText();
    }

    private void count(String outcome) {
        outcomes.computeIfAbsent(outcome, k -> new AtomicLong()).incrementAndGet();
    }

    private static double ms(Histogram histogram, double percentile) {
        return histogram.getValueAtPercentile(percentile) / 1000.0;
    }

    private static String write(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private record Sent(String partnerKey, String key, String body) {
    }

    /** Command-line options, {@code --name value}. */
    private record Options(String url, String ops, int rate, int seconds, int partners, Map<String, Integer> mix,
            int batchEvery, int batchSize, double replayShare, int maxInFlight, int connections, int settleWaitSeconds,
            int warmupSeconds, long hubPid, Map<String, Long> sidePids) {

        static Options parse(String[] args) {
            Map<String, String> given = new HashMap<>();
            for (int i = 0; i + 1 < args.length; i += 2) {
                if (!args[i].startsWith("--")) {
                    throw new IllegalArgumentException("Expected --name value pairs, got " + args[i]);
                }
                given.put(args[i].substring(2), args[i + 1]);
            }
            Map<String, Integer> mix = new LinkedHashMap<>();
            for (String part : given.getOrDefault("mix", "pix=30,spei=30,circle=20,base=20").split(",")) {
                String[] railShare = part.split("=");
                mix.put(railShare[0], Integer.parseInt(railShare[1]));
            }
            if (mix.values().stream().mapToInt(Integer::intValue).sum() != 100) {
                throw new IllegalArgumentException("--mix shares must add up to 100: " + mix);
            }
            return new Options(given.getOrDefault("url", "http://localhost:8080"),
                    given.getOrDefault("ops", "ops:ops-local-only"),
                    Integer.parseInt(given.getOrDefault("rate", "200")),
                    Integer.parseInt(given.getOrDefault("seconds", "30")),
                    Integer.parseInt(given.getOrDefault("partners", "1")), mix,
                    Integer.parseInt(given.getOrDefault("batch-every", "0")),
                    Integer.parseInt(given.getOrDefault("batch-size", "100")),
                    Double.parseDouble(given.getOrDefault("replay", "0")),
                    Integer.parseInt(given.getOrDefault("max-in-flight", "2000")),
                    Integer.parseInt(given.getOrDefault("connections", "64")),
                    Integer.parseInt(given.getOrDefault("settle-wait", "180")),
                    Integer.parseInt(given.getOrDefault("warmup", "0")),
                    Long.parseLong(given.getOrDefault("hub-pid", "0")), sidePids(given.getOrDefault("side-pids", "")));
        }

        /** {@code broker=123,sandboxes=456}: processes whose CPU is reported beside the hub's. */
        private static Map<String, Long> sidePids(String given) {
            Map<String, Long> pids = new LinkedHashMap<>();
            for (String part : given.split(",")) {
                if (!part.isBlank()) {
                    String[] namePid = part.split("=");
                    pids.put(namePid[0], Long.parseLong(namePid[1]));
                }
            }
            return pids;
        }

        String pickRail(int percentile) {
            int cumulative = 0;
            for (Map.Entry<String, Integer> share : mix.entrySet()) {
                cumulative += share.getValue();
                if (percentile < cumulative) {
                    return share.getKey();
                }
            }
            throw new IllegalStateException("mix does not cover " + percentile);
        }
    }
}
