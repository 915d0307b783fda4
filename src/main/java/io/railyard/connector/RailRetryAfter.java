package io.railyard.connector;

import io.railyard.api.RetryAfter;
import java.time.Duration;
import java.time.Instant;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.http.base.HttpOperationFailedException;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * Honours a rail's {@code Retry-After} (on 429 and 503) in the {@code rail-errors} redelivery: called as soon as a
 * rail call fails, it sets the delay of the next redelivery ({@link Exchange#REDELIVERY_DELAY}, which Camel's error
 * handler uses instead of its exponential backoff) to what the rail asked, capped at
 * {@code railyard.settlement.max-retry-after}; without the header the backoff applies.
 */
@Component("railRetryAfter")
public class RailRetryAfter implements Processor {

    private final Duration max;

    public RailRetryAfter(@Value("${railyard.settlement.max-retry-after:PT30S}") Duration max) {
        this.max = max;
    }

    @Override
    public void process(Exchange exchange) {
        Duration asked = asked(exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class));
        if (asked == null) {
            exchange.getMessage().removeHeader(Exchange.REDELIVERY_DELAY);
        } else {
            exchange.getMessage().setHeader(Exchange.REDELIVERY_DELAY, (asked.compareTo(max) > 0 ? max : asked).toMillis());
        }
    }

    private static Duration asked(Throwable failure) {
        if (!(failure instanceof HttpOperationFailedException failed && failed.getResponseHeaders() != null
                && (failed.getStatusCode() == 429 || failed.getStatusCode() == 503))) {
            return null;
        }
        return failed.getResponseHeaders().entrySet().stream()
                .filter(header -> "Retry-After".equalsIgnoreCase(header.getKey())).findFirst()
                .map(header -> RetryAfter.parse(header.getValue(), Instant.now())).orElse(null);
    }
}
