package io.railyard.reconciliation;

import io.railyard.connector.ConnectorRegistry;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Map;
import org.apache.camel.CamelContext;
import org.apache.camel.builder.TemplatedRouteBuilder;
import org.apache.camel.spring.boot.CamelContextConfiguration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * One clustered Quartz schedule per rail whose connector declares a statement route (route template
 * {@code recon-schedule} in routes/reconciliation.camel.yaml, route id {@code recon.<rail>.schedule}), at
 * {@code railyard.reconciliation.cron} or the rail's own {@code railyard.reconciliation.rails.<rail>.cron}.
 */
@Component("reconciliationSchedules")
public class ReconciliationSchedules implements CamelContextConfiguration {

    private static final Logger log = LoggerFactory.getLogger(ReconciliationSchedules.class);

    private final ConnectorRegistry connectors;
    private final ReconciliationSettings settings;
    private final ReconStatement statements;
    private final ReconciliationEngine engine;

    public ReconciliationSchedules(ConnectorRegistry connectors, ReconciliationSettings settings,
            ReconStatement statements, ReconciliationEngine engine) {
        this.connectors = connectors;
        this.settings = settings;
        this.statements = statements;
        this.engine = engine;
    }

    @Override
    public void beforeApplicationStart(CamelContext camel) {
        // the connectors' statement routes are loaded before start; schedules are added once they are known
    }

    @Override
    public void afterApplicationStart(CamelContext camel) {
        for (String rail : connectors.all().keySet().stream().sorted().toList()) {
            if (!statements.supports(rail)) {
                log.warn("Connector {} declares no statement route (recon.{}.statement): not reconciled", rail, rail);
                continue;
            }
            if (!settings.scheduled(rail)) {
                continue;
            }
            TemplatedRouteBuilder.builder(camel, "recon-schedule").routeId("recon." + rail + ".schedule")
                    .parameters(Map.of("rail", rail, "cron", settings.cronOf(rail))).add();
            log.info("Reconciliation of {} scheduled at '{}'", rail, settings.cronOf(rail));
        }
    }

    /** The scheduled run: the period that ended at the last midnight UTC. A failure is recorded by the engine. */
    public void runScheduled(String rail) {
        Instant to = LocalDate.now(ZoneOffset.UTC).atStartOfDay(ZoneOffset.UTC).toInstant();
        engine.run(new ReconciliationEngine.RunRequest(rail, to.minus(settings.period()), to, false, "SCHEDULE",
                "system:schedule"));
    }
}
