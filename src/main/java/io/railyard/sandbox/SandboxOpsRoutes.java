package io.railyard.sandbox;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.railyard.api.ApiProblem;
import io.railyard.api.JsonBodies;
import io.railyard.api.Problem;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.builder.RouteBuilder;
import org.springframework.stereotype.Component;

/**
 * Ops control of the sandboxes ({@code /v1/ops/**}: OPS role, see SecurityConfig): inject faults per rail, read how
 * many times each idempotency key was executed, and wipe a rail. A template rail exists as soon as it is named here,
 * so its faults can be set before its first payout.
 */
@Component
@SandboxEnabled
class SandboxOpsRoutes extends RouteBuilder {

    private final Sandbox sandbox;
    private final JsonBodies bodies;
    private final ObjectMapper strict;

    SandboxOpsRoutes(Sandbox sandbox, JsonBodies bodies, ObjectMapper json) {
        this.sandbox = sandbox;
        this.bodies = bodies;
        // A typo in a fault name must not silently inject nothing; a fault left out is 0.
        this.strict = json.copy().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    }

    @Override
    public void configure() {
        rest("/ops/sandbox/{rail}").description("Ops: the rail sandboxes' faults and executions (local and tests)")
                .get("/faults").id("sandbox.ops.faults").to("direct:sandbox.ops.faults")
                .put("/faults").id("sandbox.ops.faults.set").to("direct:sandbox.ops.faults.set")
                .delete("/faults").id("sandbox.ops.faults.reset").to("direct:sandbox.ops.faults.reset")
                .get("/executions").id("sandbox.ops.executions").to("direct:sandbox.ops.executions")
                .delete("/state").id("sandbox.ops.state.reset").to("direct:sandbox.ops.state.reset");

        handle("faults", exchange -> bodies.respond(exchange, 200, rail(exchange).faults()));
        handle("faults.set", exchange -> {
            JsonBodies.requireJson(exchange);
            Faults faults = faults(exchange.getIn().getBody(byte[].class));
            List<Problem.FieldError> errors = faults.violations();
            if (!errors.isEmpty()) {
                throw ApiProblem.invalid("some faults are out of range", errors);
            }
            rail(exchange).faults(faults);
            bodies.respond(exchange, 200, faults);
        });
        handle("faults.reset", exchange -> {
            rail(exchange).faults(Faults.NONE);
            bodies.noContent(exchange);
        });
        handle("executions", exchange -> bodies.respond(exchange, 200, executions(rail(exchange))));
        handle("state.reset", exchange -> {
            rail(exchange).reset();
            bodies.noContent(exchange);
        });
    }

    private void handle(String name, Processor processor) {
        from("direct:sandbox.ops." + name).routeId("sandbox.ops." + name + ".handle")
                .routeConfigurationId("api-errors").process(processor);
    }

    private static Map<String, Object> executions(Rail<?> simulator) {
        Map<String, Integer> byKey = simulator.executions();
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("by_key", byKey);
        view.put("total", byKey.values().stream().mapToInt(Integer::intValue).sum());
        view.put("orders_by_key", simulator.orders());
        Map<String, Integer> byBatch = simulator.bulkExecutions();
        if (!byBatch.isEmpty()) { // bulk requests, by their own key (their lines are counted in by_key)
            view.put("by_batch", byBatch);
            view.put("requests_by_batch", simulator.bulkRequests()); // received, each sent again included
        }
        return view;
    }

    private Faults faults(byte[] body) {
        try {
            return strict.readValue(body == null ? new byte[0] : body, Faults.class);
        } catch (IOException e) {
            String why = e instanceof JsonProcessingException json ? json.getOriginalMessage() : e.getMessage();
            throw ApiProblem.badRequest("invalid_faults", "not a fault set: " + why, null);
        }
    }

    private Rail<?> rail(Exchange exchange) {
        String name = exchange.getIn().getHeader("rail", String.class);
        if (!Sandbox.isValidName(name)) {
            throw ApiProblem.notFound("sandbox rail '" + name + "'");
        }
        return sandbox.rail(name);
    }
}
