package io.railyard.local;

import io.railyard.TestPorts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.springframework.util.FileSystemUtils;

/**
 * A Kafka broker a test owns, outside any hub: the project's single-node KRaft broker ({@link LocalKafka}) with its
 * log in a temporary directory and a port of its own, so a test can also stop it and start it again with its topics,
 * records and committed offsets, at the same address, as a restarted production broker.
 */
public final class TestBroker implements AutoCloseable {

    private static final int PARTITIONS = 3;

    private final Path dataDir;
    private final int port = TestPorts.free();
    private LocalKafka kafka;

    private TestBroker(Path dataDir) {
        this.dataDir = dataDir;
    }

    public static TestBroker start() throws IOException {
        TestBroker broker = new TestBroker(Files.createTempDirectory("railyard-test-kafka"));
        broker.startAgain();
        return broker;
    }

    /** Bootstrap servers: the same across restarts. */
    public String brokers() {
        return "127.0.0.1:" + port;
    }

    /** Shuts the broker down: its clients lose it until {@link #startAgain}. */
    public void stop() {
        kafka.destroy();
        kafka = null;
    }

    public void startAgain() {
        kafka = LocalKafka.start(dataDir, PARTITIONS, port);
    }

    @Override
    public void close() throws IOException {
        if (kafka != null) {
            stop();
        }
        FileSystemUtils.deleteRecursively(dataDir);
    }
}
