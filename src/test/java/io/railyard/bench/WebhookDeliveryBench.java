package io.railyard.bench;

import com.sun.net.httpserver.HttpServer;
import io.railyard.RailyardApplication;
import io.railyard.outbox.Outbox;
import io.railyard.partner.Partners;
import io.railyard.webhook.WebhookEndpoints;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.camel.CamelContext;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Webhook delivery throughput to a loopback sink: the whole hub (embedded PostgreSQL and Kafka, default webhook
 * settings) delivers signed webhooks to a JDK HTTP server on 127.0.0.1 that answers 204 at once.
 *
 * <p>Two figures: <b>delivery</b> (deliveries already fanned out and due: claim, sign, POST, record attempt and state,
 * measured from starting the {@code webhook.delivery.poll} route until every delivery is SUCCEEDED) and <b>end to
 * end</b> (outbox events committed → fan-out → delivery, both routes running).
 *
 * <pre>
 * mvn -o -B -q test-compile dependency:build-classpath -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test
 * java -cp target/test-classes:target/classes:$(cat target/bench.classpath) io.railyard.bench.WebhookDeliveryBench
 * </pre>
 * System properties: {@code bench.events} (per round, default 10000), {@code bench.endpoints} (default 4),
 * {@code bench.warmup} (events per warm-up round, default half of bench.events; the JIT needs it).
 */
public final class WebhookDeliveryBench {

    private WebhookDeliveryBench() {
    }

    public static void main(String[] args) throws Exception {
        int events = Integer.getInteger("bench.events", 10_000);
        int endpointCount = Integer.getInteger("bench.endpoints", 4);
        int warmup = Integer.getInteger("bench.warmup", events / 2);
        AtomicLong received = new AtomicLong();
        ExecutorService sinkThreads = Executors.newFixedThreadPool(32);
        HttpServer sink = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 512);
        sink.createContext("/", exchange -> {
            exchange.getRequestBody().readAllBytes();
            received.incrementAndGet();
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        sink.setExecutor(sinkThreads);
        sink.start();
        String url = "http://127.0.0.1:" + sink.getAddress().getPort() + "/sink";

        ConfigurableApplicationContext hub = new SpringApplicationBuilder(RailyardApplication.class)
                .properties("server.port=0", "logging.level.root=WARN", "logging.level.io.railyard=WARN",
                        "camel.main.startup-summary-level=off")
                .run();
        try {
            String jdbcUrl = hub.getEnvironment().getProperty("spring.datasource.url", "");
            databasePort = jdbcUrl.replaceAll("^jdbc:postgresql://[^:/]+:(\\d+)/.*$", "$1");
            JdbcClient jdbc = hub.getBean(JdbcClient.class);
            TransactionTemplate tx = hub.getBean(TransactionTemplate.class);
            Outbox outbox = hub.getBean(Outbox.class);
            CamelContext camel = hub.getBean(CamelContext.class);
            Partners partners = hub.getBean(Partners.class);
            WebhookEndpoints endpoints = hub.getBean(WebhookEndpoints.class);
            UUID partner = partners.create("bench-" + UUID.randomUUID().toString().substring(0, 8)).id();
            List<UUID> endpointIds = new ArrayList<>();
            for (int i = 0; i < endpointCount; i++) {
                endpointIds.add(UUID.fromString((String) endpoints.create(partner, url + "/" + i,
                        List.of("transfer.*"), "bench sink " + i, true).get("id")));
            }
            UUID[] ids = endpointIds.toArray(UUID[]::new);

            System.out.printf("Webhook delivery benchmark: %d events x %d endpoints per round, sink %s%n", events,
                    endpointCount, url);
            round("warm-up (delivery)", jdbc, tx, outbox, camel, partner, ids, warmup, true, received);
            round("warm-up (end to end)", jdbc, tx, outbox, camel, partner, ids, warmup, false, received);
            Result delivery = round("delivery", jdbc, tx, outbox, camel, partner, ids, events, true, received);
            Result endToEnd = round("end to end", jdbc, tx, outbox, camel, partner, ids, events, false, received);
            System.out.printf("%nRESULT delivery:   %,d deliveries in %.2f s = %,.0f deliveries/s%n",
                    delivery.deliveries(), delivery.seconds(), delivery.perSecond());
            System.out.printf("RESULT end to end: %,d deliveries in %.2f s = %,.0f deliveries/s%n",
                    endToEnd.deliveries(), endToEnd.seconds(), endToEnd.perSecond());
            System.out.printf("Sink received %,d requests; JVM %s, %d CPUs%n", received.get(),
                    System.getProperty("java.version"), Runtime.getRuntime().availableProcessors());
        } finally {
            hub.close();
            sink.stop(0);
            sinkThreads.shutdownNow();
        }
    }

    private record Result(long deliveries, double seconds, double jvmCpu, double dbCpu) {
        double perSecond() {
            return deliveries / seconds;
        }

        double perCpuSecond() {
            return deliveries / (jvmCpu + dbCpu);
        }
    }

    private static volatile String databasePort = "";

    /**
     * CPU seconds used so far by this JVM and by the hub's embedded PostgreSQL (its postmaster, found by port, and
     * its backends).
     */
    private static double[] cpu() {
        double jvm = ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime() / 1e9;
        double db = ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().map(c -> c.contains("postgres") && c.contains(" -p "
                        + databasePort + " ")).orElse(false))
                .flatMap(p -> java.util.stream.Stream.concat(java.util.stream.Stream.of(p), p.descendants()))
                .mapToDouble(WebhookDeliveryBench::cpuOf).sum();
        return new double[] {jvm, db};
    }

    private static double cpuOf(ProcessHandle process) {
        try {
            String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc", process.pid() + "", "stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / 100.0; // utime + stime, in ticks
        } catch (java.io.IOException | RuntimeException e) {
            return 0;
        }
    }

    private static Result round(String name, JdbcClient jdbc, TransactionTemplate tx, Outbox outbox,
            CamelContext camel, UUID partner, UUID[] endpoints, int events, boolean fanOutFirst, AtomicLong received)
            throws Exception {
        long expected = (long) events * endpoints.length;
        double[] cpuBefore;
        long before = succeeded(jdbc, endpoints);
        long start;
        if (fanOutFirst) {
            camel.getRouteController().stopRoute("webhook.delivery.poll");
            append(tx, outbox, partner, events);
            long pendingTarget = expected;
            waitFor(() -> pending(jdbc, endpoints) >= pendingTarget, 300);
            cpuBefore = cpu();
            start = System.nanoTime();
            camel.getRouteController().startRoute("webhook.delivery.poll");
        } else {
            cpuBefore = cpu();
            start = System.nanoTime();
            append(tx, outbox, partner, events);
        }
        long target = before + expected;
        waitFor(() -> succeeded(jdbc, endpoints) >= target, 600);
        double seconds = (System.nanoTime() - start) / 1e9;
        double[] cpuAfter = cpu();
        Result result = new Result(expected, seconds, cpuAfter[0] - cpuBefore[0], cpuAfter[1] - cpuBefore[1]);
        System.out.printf("  %-20s %,8d deliveries in %6.2f s = %,8.0f/s; CPU: hub JVM %.1f s + PostgreSQL %.1f s "
                + "= %,.0f deliveries per CPU-second; load average %s%n", name, expected, seconds, result.perSecond(),
                result.jvmCpu(), result.dbCpu(), result.perCpuSecond(), loadAverage());
        return result;
    }

    private static String loadAverage() {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).split(" ")[0];
        } catch (java.io.IOException e) {
            return "?";
        }
    }

    private static void append(TransactionTemplate tx, Outbox outbox, UUID partner, int events) {
        for (int done = 0; done < events; done += 500) {
            int size = Math.min(500, events - done);
            tx.executeWithoutResult(status -> {
                for (int i = 0; i < size; i++) {
                    String id = UUID.randomUUID().toString();
                    outbox.append("railyard.bench.webhooks.v1", id, "transfer.settled", Map.of("object", "transfer",
                            "id", id, "partner_id", partner.toString(), "status", "SETTLED", "amount", "10.00",
                            "currency", "BRL"));
                }
            });
        }
    }

    private static long succeeded(JdbcClient jdbc, UUID[] endpoints) {
        return jdbc.sql("select count(*) from webhook_deliveries where endpoint_id = any(?) and status = 'SUCCEEDED'")
                .param(endpoints).query(Long.class).single();
    }

    private static long pending(JdbcClient jdbc, UUID[] endpoints) {
        return jdbc.sql("select count(*) from webhook_deliveries where endpoint_id = any(?) and status = 'PENDING'")
                .param(endpoints).query(Long.class).single();
    }

    private interface Condition {
        boolean met();
    }

    private static void waitFor(Condition condition, int maxSeconds) throws InterruptedException {
        long deadline = System.nanoTime() + maxSeconds * 1_000_000_000L;
        while (!condition.met()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("benchmark round did not finish within " + maxSeconds + " s");
            }
            Thread.sleep(20);
        }
    }
}
