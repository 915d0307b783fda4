package io.railyard.api;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import java.io.IOException;
import java.util.stream.Collectors;
import org.apache.camel.Exchange;
import org.springframework.stereotype.Component;

/**
 * Reads JSON request bodies strictly (unknown fields refused, exact decimals) and writes JSON responses. A body that is
 * not JSON, or of the wrong content type, never reaches the business code.
 */
@Component("jsonBodies")
public class JsonBodies {

    private final ObjectMapper strict;
    private final ObjectMapper json;

    public JsonBodies(ObjectMapper json) {
        this.json = json;
        this.strict = json.copy().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
    }

    public <T> T read(Exchange exchange, Class<T> type) {
        String contentType = exchange.getIn().getHeader(Exchange.CONTENT_TYPE, String.class);
        if (contentType == null || !contentType.toLowerCase().startsWith("application/json")) {
            throw new ApiProblem(Problem.of(415, "unsupported_media_type", "Unsupported media type",
                    "send the body as application/json", null));
        }
        String body = exchange.getIn().getBody(String.class);
        if (body == null || body.isBlank()) {
            throw ApiProblem.badRequest("empty_body", "the request needs a JSON body", null);
        }
        try {
            return strict.readValue(body, type);
        } catch (UnrecognizedPropertyException e) {
            throw ApiProblem.badRequest("unknown_field", "unknown field '" + e.getPropertyName() + "'", path(e));
        } catch (InvalidFormatException e) {
            throw ApiProblem.badRequest("invalid_field_format", "'" + e.getValue() + "' is not a valid "
                    + e.getTargetType().getSimpleName(), path(e));
        } catch (MismatchedInputException e) {
            throw ApiProblem.badRequest("invalid_field_type", "wrong JSON type", path(e));
        } catch (IOException e) {
            throw ApiProblem.badRequest("malformed_json", "the body is not valid JSON", null);
        }
    }

    /** Sets a JSON response with the given status. */
    public void respond(Exchange exchange, int status, Object body) {
        exchange.getMessage().removeHeaders("*");
        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, status);
        exchange.getMessage().setHeader(Exchange.CONTENT_TYPE, "application/json");
        try {
            exchange.getMessage().setBody(json.writeValueAsString(body));
        } catch (IOException e) {
            throw new IllegalStateException("response not serialisable", e);
        }
    }

    private static String path(MismatchedInputException e) {
        String path = e.getPath().stream()
                .map(ref -> ref.getFieldName() != null ? ref.getFieldName() : "[" + ref.getIndex() + "]")
                .collect(Collectors.joining("."));
        return path.replace(".[", "[");
    }
}
