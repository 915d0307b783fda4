package io.railyard.connector;

import io.railyard.HubTest;
import org.apache.camel.CamelContext;
import org.apache.camel.ProducerTemplate;
import org.junit.jupiter.api.AfterAll;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * A hub whose Base rail runs against a real anvil node: a subclass starts it in its {@code @DynamicPropertySource}
 * ({@link AnvilNode#startFor}) and has a hub of its own ({@code @DirtiesContext}); the node stops after the class.
 */
abstract class AnvilHubTest extends HubTest {

    static AnvilNode anvil;

    @Autowired
    CamelContext camel;
    @Autowired
    ProducerTemplate producer;

    @AfterAll
    static void stopAnvil() {
        if (anvil != null) { // null when anvil could not be started: the tests failed saying why
            anvil.close();
            anvil = null;
        }
    }
}
