package io.railyard.api;

import java.util.Map;
import java.util.UUID;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.MapPropertySource;

/**
 * Gives the servlet that serves the REST DSL (camel-servlet, mapped at /v1/*) a name of its own per hub. Camel finds
 * a servlet's routes through a registry keyed by that name and held for the whole JVM; two hubs in one JVM (the tests
 * run several) under the default name would refuse to start, or one would serve the other's routes.
 */
public class CamelServletName implements ApplicationContextInitializer<ConfigurableApplicationContext> {

    @Override
    public void initialize(ConfigurableApplicationContext context) {
        String name = "railyard-api-" + UUID.randomUUID();
        context.getEnvironment().getPropertySources().addLast(new MapPropertySource("railyard-camel-servlet-name",
                Map.of("camel.servlet.mapping.servlet-name", name, "camel.component.servlet.servlet-name", name)));
    }
}
