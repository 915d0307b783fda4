package io.railyard.cluster;

import io.railyard.TestPorts;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A hub in a child JVM of its own (the test's classpath, the project's config/, routes/ and connectors/), so a test can
 * kill it with SIGKILL mid-work, as a crash would, and start it again on the same database and broker.
 */
public final class HubProcess implements AutoCloseable {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final List<String> args;
    private final Path logDir;
    private final int port = TestPorts.free();
    private Process process;
    private int starts;

    /** {@code args}: the application's arguments ({@code --key=value}); the port is chosen here. */
    public HubProcess(Path logDir, List<String> args) {
        this.logDir = logDir;
        this.args = args;
    }

    public int port() {
        return port;
    }

    public String url() {
        return "http://localhost:" + port;
    }

    /**
     * Starts the JVM and waits until it is ready for traffic. A hub starts in 15–30 s on a quiet 2-core machine; the
     * wait allows for several hubs and test JVMs starting at once on such a machine (the two surefire forks).
     */
    public void start() throws IOException, InterruptedException {
        Duration timeout = Duration.ofMinutes(6);
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx768m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                "io.railyard.RailyardApplication", "--server.port=" + port));
        command.addAll(args);
        Files.createDirectories(logDir);
        Path log = logDir.resolve("hub-" + port + "-start-" + (++starts) + ".log");
        process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("The hub exited with " + process.exitValue() + " at start; see " + log);
            }
            if (healthy()) {
                return;
            }
            Thread.sleep(250);
        }
        Path threads = logDir.resolve("hub-" + port + "-start-" + starts + "-threads.txt");
        new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                String.valueOf(process.pid()), "Thread.print").redirectErrorStream(true).redirectOutput(threads.toFile())
                .start().waitFor();
        throw new IllegalStateException("The hub did not become healthy within " + timeout + "; see " + log
                + " and its threads in " + threads);
    }

    /** SIGKILL: no shutdown hook, no graceful stop, whatever was in flight is cut. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    private boolean healthy() {
        try {
            HttpResponse<String> health = HTTP.send(HttpRequest.newBuilder(URI.create(url() + "/actuator/health/readiness"))
                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
            return health.statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process != null && process.isAlive()) {
            kill();
        }
    }
}
