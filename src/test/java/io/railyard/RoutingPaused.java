package io.railyard;

import org.apache.camel.CamelContext;
import org.apache.camel.spi.RouteController;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.springframework.test.context.junit.jupiter.SpringExtension;

/**
 * The routing stage (its Kafka consumer and its sweep) stopped around each test of a hub test class: accepted
 * transfers stay where the test puts them, and the test feeds the stages it means to.
 */
public class RoutingPaused implements BeforeEachCallback, AfterEachCallback {

    private static final String[] ROUTES = {"routing.transfer.decide", "routing.transfer.sweep"};

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        RouteController routes = routes(context);
        for (String route : ROUTES) {
            routes.stopRoute(route);
        }
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        RouteController routes = routes(context);
        for (String route : ROUTES) {
            routes.startRoute(route);
        }
    }

    private static RouteController routes(ExtensionContext context) {
        return SpringExtension.getApplicationContext(context).getBean(CamelContext.class).getRouteController();
    }
}
