package io.railyard.api;

import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.bulkhead.BulkheadFullException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * Bounds how many partner writes run at once (a Resilience4j bulkhead around each write's transaction). The settlement
 * pipeline (routing, rail calls, settlement) takes its connections from the same pool as the API: unbounded, a burst of
 * writes held every connection while Tomcat's 200 threads queued for more, and the pipeline's stages timed out waiting
 * (BENCHMARKS.md). A write over the bound waits its turn, first come first served, for up to
 * {@code railyard.api.write-wait}; then it is answered 503 {@code over_capacity} with Retry-After, having written
 * nothing, and the partner sends it again with the same Idempotency-Key.
 */
@Component
public class WriteAdmission {

    private final Bulkhead bulkhead;
    private final Counter refused;

    public WriteAdmission(@Value("${railyard.api.max-concurrent-writes:12}") int maxConcurrentWrites,
            @Value("${railyard.api.write-wait:PT5S}") Duration wait, MeterRegistry meters) {
        this.bulkhead = Bulkhead.of("api-writes", BulkheadConfig.custom().maxConcurrentCalls(maxConcurrentWrites)
                .maxWaitDuration(wait).fairCallHandlingStrategyEnabled(true).build());
        Gauge.builder("railyard.api.writes.available", bulkhead,
                        b -> b.getMetrics().getAvailableConcurrentCalls())
                .description("Partner writes that may start now (railyard.api.max-concurrent-writes less those running)")
                .register(meters);
        this.refused = Counter.builder("railyard.api.writes.refused")
                .description("Partner writes answered 503 over_capacity after waiting railyard.api.write-wait")
                .register(meters);
    }

    /** Runs {@code write} once admitted; throws {@link BulkheadFullException} if its turn does not come in time. */
    public void run(Runnable write) {
        try {
            bulkhead.acquirePermission();
        } catch (BulkheadFullException full) {
            refused.increment();
            throw full;
        }
        try {
            write.run();
        } finally {
            bulkhead.onComplete();
        }
    }

    /** The answer to a write refused for want of capacity: nothing was written, so the same request may be sent again. */
    public static Problem overCapacity() {
        return Problem.of(503, "over_capacity", "Over capacity", "the hub is running as many writes as it takes at "
                + "once; send the request again after Retry-After seconds, with the same Idempotency-Key", null);
    }
}
