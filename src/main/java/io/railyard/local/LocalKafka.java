package io.railyard.local;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.util.FileSystemUtils;

/**
 * A single-node KRaft broker (combined broker and controller) whose logs and metadata live in a data directory, so
 * topics, records and consumer offsets survive a restart of the local hub; or, for tests, in a temporary directory
 * gone at stop ({@link #startTemporary}).
 *
 * <p>The storage is formatted once (its {@code meta.properties} holds the cluster id); ports are picked free at each
 * start (unless given), which KRaft accepts because the single voter is static configuration, not metadata.
 */
final class LocalKafka implements DisposableBean {

    private final KafkaRaftServer server;
    private final String bootstrap;
    /** A temporary data directory, deleted once the broker has stopped; null when the data is kept. */
    private final Path temporary;

    private LocalKafka(KafkaRaftServer server, String bootstrap, Path temporary) {
        this.server = server;
        this.bootstrap = bootstrap;
        this.temporary = temporary;
    }

    static LocalKafka start(Path dataDir, int partitions) {
        return start(dataDir, partitions, freePort());
    }

    /**
     * A broker whose data is gone at stop (tests): its directory is deleted by {@link #destroy}, after the broker has
     * stopped. The test kit's broker deleted its directory in a JVM shutdown hook of its own, which ran while the hub
     * was still stopping: the broker lost its logs and halted, and the hub's clients then spent two minutes on
     * timeouts before the JVM could exit (at the end of every test JVM).
     */
    static LocalKafka startTemporary(int partitions) {
        try {
            return start(Files.createTempDirectory("railyard-kafka"), partitions, freePort(), true);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create a temporary directory for the embedded Kafka", e);
        }
    }

    /** On a given client port: a test restarting the broker keeps it, so the hubs' clients find it again. */
    static LocalKafka start(Path dataDir, int partitions, int port) {
        return start(dataDir, partitions, port, false);
    }

    private static LocalKafka start(Path dataDir, int partitions, int port, boolean temporary) {
        int controllerPort = freePort();
        Map<String, String> props = new HashMap<>();
        props.put("process.roles", "broker,controller");
        props.put("node.id", "1");
        props.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        props.put("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
        props.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
        props.put("controller.listener.names", "CONTROLLER");
        props.put("inter.broker.listener.name", "PLAINTEXT");
        props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        props.put("log.dirs", dataDir.toString());
        props.put("num.partitions", String.valueOf(partitions));
        props.put("auto.create.topics.enable", "true");
        props.put("offsets.topic.replication.factor", "1");
        props.put("offsets.topic.num.partitions", "5");
        props.put("transaction.state.log.replication.factor", "1");
        props.put("transaction.state.log.min.isr", "1");
        props.put("group.initial.rebalance.delay.ms", "0");
        KafkaConfig config = new KafkaConfig(props);
        format(config, dataDir);
        KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
        server.startup();
        return new LocalKafka(server, "127.0.0.1:" + port, temporary ? dataDir : null);
    }

    /** Formats the storage on first use; afterwards the existing cluster id and records are kept. */
    private static void format(KafkaConfig config, Path dataDir) {
        if (Files.exists(dataDir.resolve("meta.properties"))) {
            return;
        }
        try {
            Files.createDirectories(dataDir);
            new Formatter().setPrintStream(new PrintStream(PrintStream.nullOutputStream()))
                    .setNodeId(config.nodeId())
                    .setClusterId(Uuid.randomUuid().toString())
                    .setControllerListenerName("CONTROLLER")
                    .setMetadataLogDirectory(config.metadataLogDir())
                    .addDirectory(dataDir.toString())
                    .run();
        } catch (Exception e) {
            throw new IllegalStateException("Cannot format the local Kafka storage in " + dataDir + ": " + e.getMessage(), e);
        }
    }

    String bootstrap() {
        return bootstrap;
    }

    @Override
    public void destroy() {
        server.shutdown();
        server.awaitShutdown();
        if (temporary != null) {
            FileSystemUtils.deleteRecursively(temporary.toFile());
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
