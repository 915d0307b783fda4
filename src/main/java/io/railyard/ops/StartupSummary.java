package io.railyard.ops;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.core.env.Environment;
import org.springframework.stereotype.Component;

/** Prints where everything is once the hub is up: a newcomer should not have to search the log. */
@Component
class StartupSummary {

    private static final Logger log = LoggerFactory.getLogger(StartupSummary.class);

    private final Environment env;

    StartupSummary(Environment env) {
        this.env = env;
    }

    @EventListener(ApplicationReadyEvent.class)
    void print() {
        String base = "http://localhost:" + env.getProperty("local.server.port", env.getProperty("server.port", "8080"));
        String dbUrl = env.getProperty("spring.datasource.url", "?");
        log.info("""

                ===== Railyard settlement hub is up =====
                  HTTP API        {}/v1
                  API docs        {}/v1/api-docs  (browsable: {}/docs/)
                  Health          {}/actuator/health
                  Ops console     {}/ops/  (ops login)
                  Prometheus      {}/actuator/prometheus  (ops login)
                  Hawtio          {}/actuator/hawtio/  (ops login)
                  PostgreSQL      {}  [{}]
                  Kafka           {}  [{}]
                  Home            {}  (routes/, connectors/)
                =========================================""",
                base, base, base, base, base, base, base, dbUrl.replaceAll("password=[^&]*", "password=***"),
                env.getProperty("railyard.db.mode", "external"), env.getProperty("camel.component.kafka.brokers"),
                env.getProperty("railyard.kafka.mode", "external"), env.getProperty("railyard.home", "."));
    }
}
