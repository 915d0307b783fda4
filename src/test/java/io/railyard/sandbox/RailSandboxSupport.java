package io.railyard.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.railyard.HubTest;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;

/** What the sandbox tests share: ops calls (faults, execution counts) on the running hub, and statement windows. */
abstract class RailSandboxSupport extends HubTest {

    private String ops;

    /** Replaces the rail's faults; fields left out are 0. */
    protected void faults(String rail, Map<String, Object> faults) {
        Reply reply = ops("PUT", "/v1/ops/sandbox/" + rail + "/faults").json(faults).send();
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
    }

    protected void resetFaults(String rail) {
        assertThat(ops("DELETE", "/v1/ops/sandbox/" + rail + "/faults").send().status()).isEqualTo(204);
    }

    /** How many times the rail executed a payout under {@code key} (0 when never). */
    protected int executions(String rail, String key) {
        JsonNode executions = executions(rail);
        assertThat(executions.path("total").asInt()).isGreaterThanOrEqualTo(executions.path("by_key").path(key).asInt());
        return executions.path("by_key").path(key).asInt(0);
    }

    protected JsonNode executions(String rail) {
        Reply reply = ops("GET", "/v1/ops/sandbox/" + rail + "/executions").send();
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        return reply.json();
    }

    protected Call ops(String method, String path) {
        if (ops == null) {
            ops = opsAuthorization();
        }
        return call(method, path).header("Authorization", ops);
    }

    /** A statement window around now, as RFC 3339 query values. */
    protected static String window(String fromParam, String toParam) {
        Instant now = Instant.now();
        return fromParam + "=" + now.minus(1, ChronoUnit.MINUTES) + "&" + toParam + "=" + now.plus(1, ChronoUnit.MINUTES);
    }

    /** A window that ended before now: nothing created by the test is in it. */
    protected static String pastWindow(String fromParam, String toParam) {
        Instant now = Instant.now();
        return fromParam + "=" + now.minus(2, ChronoUnit.HOURS) + "&" + toParam + "=" + now.minus(1, ChronoUnit.HOURS);
    }
}
