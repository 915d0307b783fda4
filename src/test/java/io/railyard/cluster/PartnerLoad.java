package io.railyard.cluster;

import static io.railyard.cluster.TestCluster.JSON;
import static io.railyard.cluster.TestCluster.PARTNER_KEY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.railyard.transfer.TransferFixtures;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The demo partner sending transfers across the four rails and, every 15th request, a 10-item batch, from four
 * threads, each request with an Idempotency-Key of its own; and afterwards retrying, as a partner does, every request
 * it got no 201 for. It records every request by key, what each created, the answers it lost (I/O: the hub died or
 * did not answer in time) and the other answers it was refused with.
 */
final class PartnerLoad {

    static final int BATCH_SIZE = 10;
    private static final int SENDERS = 4;

    record Request(String path, String body) {
        boolean batch() {
            return path.endsWith("/batch");
        }
    }

    /** An answer, with how long it took. */
    record Answer(int status, String contentType, String retryAfter, String body, Duration took) {
        static Answer of(HttpResponse<String> answer, long sentAtNanos) {
            return new Answer(answer.statusCode(), answer.headers().firstValue("Content-Type").orElse(""),
                    answer.headers().firstValue("Retry-After").orElse(null), answer.body(),
                    Duration.ofNanos(System.nanoTime() - sentAtNanos));
        }
    }

    final Map<String, Request> sent = new ConcurrentHashMap<>();
    final Map<String, String> created = new ConcurrentHashMap<>();
    /** The answers other than 201. */
    final List<Answer> refusals = new CopyOnWriteArrayList<>();
    final AtomicLong lostAnswers = new AtomicLong();
    /** Transfers requested so far: a single counts one, a batch its items. */
    final AtomicLong itemsSent = new AtomicLong();
    private final AtomicLong sequence = new AtomicLong();
    private final long maxItems;

    /** {@code maxItems}: the senders stop by themselves once this many transfers were requested (0: never). */
    PartnerLoad(long maxItems) {
        this.maxItems = maxItems;
    }

    /** Starts the senders against {@code hub}; they go on until {@link Senders#stop}. */
    Senders start(HubProcess hub) {
        return new Senders(hub);
    }

    final class Senders {
        private final AtomicBoolean sending = new AtomicBoolean(true);
        private final ExecutorService threads = Executors.newFixedThreadPool(SENDERS);

        private Senders(HubProcess hub) {
            for (int t = 0; t < SENDERS; t++) {
                threads.submit(() -> {
                    while (sending.get() && (maxItems == 0 || itemsSent.get() < maxItems)) {
                        sendOne(hub);
                    }
                    return null;
                });
            }
        }

        /** Lets every sender finish the request it is waiting for, then stops them. */
        void stop() throws InterruptedException {
            sending.set(false);
            threads.shutdown();
            assertThat(threads.awaitTermination(1, TimeUnit.MINUTES)).as("senders stopped").isTrue();
        }
    }

    private void sendOne(HubProcess hub) throws InterruptedException, IOException {
        long n = sequence.incrementAndGet();
        String key = UUID.randomUUID().toString();
        Request request = n % 15 == 0 ? new Request("/v1/transfers/batch", batch(n))
                : new Request("/v1/transfers", TestCluster.write(transfer(n)));
        itemsSent.addAndGet(request.batch() ? BATCH_SIZE : 1);
        sent.put(key, request);
        long began = System.nanoTime();
        try {
            HttpResponse<String> answer = post(hub, key, request);
            if (answer.statusCode() == 201) {
                created.put(key, JSON.readTree(answer.body()).get("id").asText());
            } else {
                refusals.add(Answer.of(answer, began));
            }
        } catch (IOException lost) {
            lostAnswers.incrementAndGet();
        }
    }

    /** What the partner does with every request it got no 201 for: send it again with its key, now expecting 201. */
    void retryUnanswered(HubProcess hub) throws IOException, InterruptedException {
        for (Map.Entry<String, Request> request : sent.entrySet()) {
            if (!created.containsKey(request.getKey())) {
                HttpResponse<String> answer = post(hub, request.getKey(), request.getValue());
                assertThat(answer.statusCode()).as(answer.body()).isEqualTo(201);
                created.put(request.getKey(), JSON.readTree(answer.body()).get("id").asText());
            }
        }
    }

    /** A replay of {@code count} answered requests gives the same answer (whatever happened to the hub meanwhile). */
    void assertReplaysMatch(HubProcess hub, int count) throws IOException, InterruptedException {
        for (String key : sent.keySet().stream().limit(count).toList()) {
            HttpResponse<String> replay = post(hub, key, sent.get(key));
            assertThat(JSON.readTree(replay.body()).get("id").asText()).isEqualTo(created.get(key));
        }
    }

    /**
     * Once every request was retried: everything final, the outbox drained, every batch completed, exactly one
     * creation per key (single transfers, batches, and their items), and the cluster's invariants. Returns the number
     * of transfers settled.
     */
    long assertEachRequestTookEffectOnce(TestCluster cluster, Duration settling) throws Exception {
        await().atMost(settling).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> assertThat(cluster.db.sql("""
                select status || ' ' || count(*) from transfers
                where status not in ('SETTLED', 'FAILED', 'RETURNED', 'CANCELLED') group by status""")
                .query(String.class).list()).as("transfers not final yet").isEmpty());
        await().atMost(settling).until(() ->
                cluster.count("select count(*) from outbox_pending") == 0);
        long singles = sent.values().stream().filter(r -> !r.batch()).count();
        assertThat(new HashSet<>(created.values())).as("one creation per Idempotency-Key").hasSize(sent.size());
        assertThat(cluster.count("select count(*) from transfers where batch_id is null"))
                .as("single transfers: exactly one per key").isEqualTo(singles);
        assertThat(cluster.count("select count(*) from batches")).isEqualTo(batches());
        assertThat(cluster.count("select count(*) from transfers where batch_id is not null"))
                .as("batch items: exactly one transfer each").isEqualTo(batches() * BATCH_SIZE);
        await().atMost(Duration.ofSeconds(30)).until(() ->
                cluster.count("select count(*) from batches where status <> 'COMPLETED'") == 0);
        return cluster.assertEverythingSettledOnce();
    }

    long batches() {
        return sent.values().stream().filter(Request::batch).count();
    }

    static Map<String, Object> transfer(long n) {
        Map<String, Object> body = switch ((int) (n % 4)) {
            case 0 -> TransferFixtures.pix("1.25");
            case 1 -> TransferFixtures.spei("3.50");
            case 2 -> TransferFixtures.base("0.750000");
            default -> TransferFixtures.circle("0.500000");
        };
        body.put("reference", "load-" + n);
        return body;
    }

    private static String batch(long n) {
        List<Map<String, Object>> items = new ArrayList<>();
        for (int i = 0; i < BATCH_SIZE; i++) {
            Map<String, Object> item = transfer(n * 100 + i);
            item.put("reference", "load-batch-" + n + "-" + i);
            items.add(item);
        }
        return TestCluster.write(Map.of("items", items));
    }

    static HttpResponse<String> post(HubProcess hub, String key, Request request)
            throws IOException, InterruptedException {
        return TestCluster.send("POST", hub.url() + request.path(), "Bearer " + PARTNER_KEY, key, request.body());
    }
}
