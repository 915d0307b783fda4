package io.railyard.api;

import java.util.List;
import java.util.UUID;
import org.apache.camel.Exchange;

/** Thrown anywhere in request handling to answer with a problem document; nothing has been written when it is. */
public class ApiProblem extends RuntimeException {

    private final transient Problem problem;

    public ApiProblem(Problem problem) {
        super(problem.code() + ": " + problem.detail(), null, false, false);
        this.problem = problem;
    }

    public Problem problem() {
        return problem;
    }

    public static ApiProblem badRequest(String code, String detail, String field) {
        return new ApiProblem(Problem.of(400, code, "Bad request", detail, field));
    }

    /** The request is well-formed but a field's value is not acceptable. */
    public static ApiProblem invalid(String field, String detail) {
        return new ApiProblem(Problem.of(422, "validation_failed", "Validation failed", detail, field));
    }

    public static ApiProblem unprocessable(String code, String title, String detail, String field) {
        return new ApiProblem(Problem.of(422, code, title, detail, field));
    }

    public static ApiProblem invalid(String detail, List<Problem.FieldError> errors) {
        return new ApiProblem(Problem.of(422, "validation_failed", "Validation failed", detail, null).withErrors(errors));
    }

    public static ApiProblem notFound(String what) {
        return new ApiProblem(Problem.of(404, "not_found", "Not found", what + " not found", null));
    }

    /** The UUID in path parameter {@code header}; anything else names nothing that exists: 404. */
    public static UUID pathId(Exchange exchange, String header, String what) {
        String value = exchange.getIn().getHeader(header, String.class);
        try {
            return UUID.fromString(value);
        } catch (IllegalArgumentException | NullPointerException e) {
            throw notFound(what + " " + value);
        }
    }

    public static ApiProblem conflict(String code, String detail) {
        return new ApiProblem(Problem.of(409, code, "Conflict", detail, null));
    }
}
