package io.railyard.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.railyard.api.JsonBodies;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.core.env.PropertySource;
import org.springframework.core.io.FileSystemResource;

/** The sandboxes exist only when {@code railyard.sandbox.enabled} is true, and production turns them off. */
class SandboxSwitchTest {

    private final ApplicationContextRunner context = new ApplicationContextRunner()
            .withBean(ObjectMapper.class, ObjectMapper::new).withBean(JsonBodies.class)
            .withUserConfiguration(Sandbox.class, SandboxOpsRoutes.class, CircleSandbox.class, PixSandbox.class,
                    SpeiSandbox.class, BaseSandbox.class, TemplateSandbox.class);

    @Test
    void everySandboxBeanFollowsTheSwitch() {
        context.withPropertyValues("railyard.sandbox.enabled=true").run(on -> assertThat(on)
                .hasSingleBean(Sandbox.class).hasSingleBean(SandboxOpsRoutes.class).hasSingleBean(CircleSandbox.class)
                .hasSingleBean(PixSandbox.class).hasSingleBean(SpeiSandbox.class).hasSingleBean(BaseSandbox.class)
                .hasSingleBean(TemplateSandbox.class));
        context.withPropertyValues("railyard.sandbox.enabled=false").run(off -> assertThat(off)
                .doesNotHaveBean(Sandbox.class).doesNotHaveBean(SandboxOpsRoutes.class).doesNotHaveBean(RailEndpoint.class));
        context.run(unset -> assertThat(unset).as("off unless configured").doesNotHaveBean(Sandbox.class));
    }

    @Test
    void theProdProfileTurnsTheSandboxesOffAndTheBaseConfigTurnsThemOn() throws Exception {
        assertThat(property("config/application-prod.yaml")).isEqualTo(false);
        assertThat(property("config/application.yaml")).isEqualTo(true);
    }

    private static Object property(String file) throws Exception {
        List<PropertySource<?>> sources = new YamlPropertySourceLoader().load(file, new FileSystemResource(file));
        return sources.get(0).getProperty("railyard.sandbox.enabled");
    }
}
