package io.railyard.local;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.support.DefaultSingletonBeanRegistry;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.util.ClassUtils;
import org.springframework.util.StringUtils;

/**
 * The no-install default: when no external PostgreSQL or Kafka is configured, start an embedded PostgreSQL (zonky) and
 * an embedded KRaft Kafka broker before the context refreshes, and point the application at them.
 *
 * <p>With {@code railyard.local.data-dir} set (the local profile) both keep their data there across restarts; without
 * it (tests) both start empty. External servers win: {@code RAILYARD_DB_URL} (or {@code spring.datasource.url}) and {@code RAILYARD_KAFKA_BROKERS}
 * (or {@code camel.component.kafka.brokers}). The servers are registered as beans so they stop after Quartz, Hikari and
 * Camel; zonky's own shutdown hook is off because it races Spring's.
 */
public class EmbeddedServers implements ApplicationContextInitializer<ConfigurableApplicationContext> {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedServers.class);
    static final String SOURCE = "railyard-servers";

    @Override
    public void initialize(ConfigurableApplicationContext context) {
        ConfigurableEnvironment env = context.getEnvironment();
        Map<String, Object> resolved = new LinkedHashMap<>();
        resolveDatabase(context, env, resolved);
        resolveKafka(context, env, resolved);
        env.getPropertySources().addFirst(new MapPropertySource(SOURCE, resolved));
    }

    private void resolveDatabase(ConfigurableApplicationContext context, ConfigurableEnvironment env, Map<String, Object> out) {
        if (StringUtils.hasText(env.getProperty("spring.datasource.url"))) {
            out.put("railyard.db.mode", "external");
            return;
        }
        String url = env.getProperty("railyard.db.url");
        if (StringUtils.hasText(url)) {
            out.put("spring.datasource.url", url);
            out.put("spring.datasource.username", env.getProperty("railyard.db.username", "railyard"));
            out.put("spring.datasource.password", env.getProperty("railyard.db.password", ""));
            out.put("railyard.db.mode", "external");
            return;
        }
        requireEmbeddedSupport("io.zonky.test.db.postgres.embedded.EmbeddedPostgres", "RAILYARD_DB_URL");
        Path dataDir = dataDirectory(env, "postgres");
        EmbeddedPostgres postgres = startPostgres(dataDir, env.getProperty("railyard.local.postgres-port", Integer.class, 0));
        register(context, "embeddedPostgres", postgres::close);
        out.put("spring.datasource.url", postgres.getJdbcUrl("postgres", "postgres"));
        out.put("spring.datasource.username", "postgres");
        out.put("spring.datasource.password", "");
        out.put("railyard.db.mode", "embedded (data in " + (dataDir == null ? "a temporary directory" : dataDir) + ")");
    }

    private void resolveKafka(ConfigurableApplicationContext context, ConfigurableEnvironment env, Map<String, Object> out) {
        String brokers = env.getProperty("camel.component.kafka.brokers");
        if (!StringUtils.hasText(brokers)) {
            brokers = env.getProperty("railyard.kafka.brokers");
        }
        if (StringUtils.hasText(brokers)) {
            out.put("camel.component.kafka.brokers", brokers);
            out.put("railyard.kafka.mode", "external");
            return;
        }
        requireEmbeddedSupport("kafka.server.KafkaRaftServer", "RAILYARD_KAFKA_BROKERS");
        int partitions = env.getProperty("railyard.kafka.partitions", Integer.class, 3);
        Path dataDir = dataDirectory(env, "kafka");
        LocalKafka kafka = dataDir == null ? LocalKafka.startTemporary(partitions) : LocalKafka.start(dataDir, partitions);
        register(context, "embeddedKafka", kafka);
        out.put("camel.component.kafka.brokers", kafka.bootstrap());
        out.put("railyard.kafka.mode", dataDir == null ? "embedded (in memory, gone at stop)"
                : "embedded (data in " + dataDir + ")");
    }

    private static EmbeddedPostgres startPostgres(Path dataDir, int port) {
        try {
            EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder().setPort(port).setRegisterShutdownHook(false)
                    .setServerConfig("max_connections", "200");
            if (dataDir != null) {
                builder.setDataDirectory(dataDir).setCleanDataDirectory(false);
            }
            EmbeddedPostgres postgres = builder.start();
            log.info("Embedded PostgreSQL started on port {}", postgres.getPort());
            return postgres;
        } catch (IOException e) {
            throw new UncheckedIOException("Embedded PostgreSQL failed to start"
                    + (dataDir == null ? "" : " with data directory " + dataDir) + ": " + e.getMessage(), e);
        }
    }

    /** {@code railyard.local.data-dir} keeps data across restarts; left empty, every start is fresh (tests). */
    private static Path dataDirectory(ConfigurableEnvironment env, String name) {
        String base = env.getProperty("railyard.local.data-dir");
        if (!StringUtils.hasText(base)) {
            return null;
        }
        Path dir = Path.of(base, name).toAbsolutePath().normalize();
        try {
            Files.createDirectories(dir.getParent());
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create the local data directory " + dir.getParent(), e);
        }
        return dir;
    }

    private static void requireEmbeddedSupport(String className, String variable) {
        if (!ClassUtils.isPresent(className, EmbeddedServers.class.getClassLoader())) {
            throw new IllegalStateException("This build has no embedded servers: set " + variable + " to an external server");
        }
    }

    /** Registered before every other bean, so Spring destroys it last: after Quartz, Hikari and Camel let go of it. */
    private static void register(ConfigurableApplicationContext context, String name, DisposableBean server) {
        context.getBeanFactory().registerSingleton(name, server);
        ((DefaultSingletonBeanRegistry) context.getBeanFactory()).registerDisposableBean(name, server);
    }
}
