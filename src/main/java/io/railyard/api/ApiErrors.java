package io.railyard.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.github.resilience4j.bulkhead.BulkheadFullException;
import io.railyard.ledger.LedgerException;
import java.util.UUID;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.stereotype.Component;

/**
 * Turns whatever stopped an API exchange into a problem response. Used by the {@code api-errors} route configuration
 * ({@code routes/error-handling.camel.yaml}). Unexpected faults are logged with a reference and answered without detail.
 */
@Component("apiErrors")
public class ApiErrors {

    private static final Logger log = LoggerFactory.getLogger(ApiErrors.class);

    private final ProblemWriter writer;

    public ApiErrors(ProblemWriter writer) {
        this.writer = writer;
    }

    public void respond(Exchange exchange) {
        Exception cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        respondWith(exchange, toProblem(cause));
    }

    public void respondWith(Exchange exchange, Problem problem) {
        exchange.getMessage().removeHeaders("*");
        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, problem.status());
        exchange.getMessage().setHeader(Exchange.CONTENT_TYPE, Problem.MEDIA_TYPE);
        if (problem.retryAfter() != null) {
            exchange.getMessage().setHeader(HttpHeaders.RETRY_AFTER, problem.retryAfter());
        }
        exchange.getMessage().setBody(writer.toJson(problem));
    }

    public static Problem toProblem(Throwable cause) {
        if (cause instanceof ApiProblem api) {
            return api.problem();
        }
        if (cause instanceof LedgerException.InsufficientFunds funds) {
            return Problem.of(422, "insufficient_funds", "Insufficient funds", "the partner's available "
                    + funds.account().currency() + " balance does not cover this amount", "amount");
        }
        if (cause instanceof JsonProcessingException json) {
            return Problem.of(400, "malformed_json", "Malformed JSON", "the body is not valid JSON: "
                    + json.getOriginalMessage(), null);
        }
        if (cause instanceof BulkheadFullException) {
            return WriteAdmission.overCapacity();
        }
        if (DependencyFailure.in(cause)) {
            return DependencyFailure.problem(cause);
        }
        UUID reference = UUID.randomUUID();
        log.error("Unexpected API fault, reference {}", reference, cause);
        return Problem.of(500, "internal_error", "Internal error",
                "an unexpected error occurred; quote reference " + reference, null);
    }
}
