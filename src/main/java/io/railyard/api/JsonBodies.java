package io.railyard.api;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.stream.Collectors;
import org.apache.camel.Exchange;
import org.springframework.stereotype.Component;

/**
 * Reads JSON request bodies strictly (unknown fields refused, exact decimals) and writes JSON responses. A body that is
 * not JSON, or of the wrong content type, never reaches the business code. The bytes are parsed as they came, so
 * invalid UTF-8 is refused rather than silently replaced, and a key given twice is refused rather than read as its
 * last value (which amount would a partner think it sent?).
 */
@Component("jsonBodies")
public class JsonBodies {

    private final ObjectMapper strict;
    private final ObjectMapper json;

    public JsonBodies(ObjectMapper json) {
        this.json = json;
        this.strict = json.copy().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS) // two objects in one body: which one?
                .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    }

    public <T> T read(Exchange exchange, Class<T> type) {
        requireJson(exchange);
        byte[] body = exchange.getIn().getBody(byte[].class);
        if (body == null || new String(body, StandardCharsets.UTF_8).isBlank()) {
            throw ApiProblem.badRequest("empty_body", "the request needs a JSON body", null);
        }
        T value;
        try {
            value = strict.readValue(body, type);
        } catch (UnrecognizedPropertyException e) {
            throw ApiProblem.badRequest("unknown_field", "unknown field '" + e.getPropertyName() + "'", path(e));
        } catch (InvalidFormatException e) {
            throw ApiProblem.badRequest("invalid_field_format", "'" + e.getValue() + "' is not a valid "
                    + e.getTargetType().getSimpleName(), path(e));
        } catch (MismatchedInputException e) {
            throw ApiProblem.badRequest("invalid_field_type", "wrong JSON type", path(e));
        } catch (JsonParseException e) {
            String detail = e.getOriginalMessage().startsWith("Duplicate field")
                    ? e.getOriginalMessage().replace("Duplicate field", "the body gives field") + " twice"
                    : "the body is not valid JSON (UTF-8)";
            throw ApiProblem.badRequest("malformed_json", detail, null);
        } catch (IOException e) {
            throw ApiProblem.badRequest("malformed_json", "the body is not valid JSON", null);
        }
        if (value == null) { // the literal null
            throw ApiProblem.badRequest("empty_body", "the request needs a JSON object", null);
        }
        return value;
    }

    /** Refuses (415) a body that is not declared application/json. */
    public static void requireJson(Exchange exchange) {
        String contentType = exchange.getIn().getHeader(Exchange.CONTENT_TYPE, String.class);
        if (contentType == null || !contentType.toLowerCase().startsWith("application/json")) {
            throw new ApiProblem(Problem.of(415, "unsupported_media_type", "Unsupported media type",
                    "send the body as application/json", null));
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

    /** Sets an empty 204 response. */
    public void noContent(Exchange exchange) {
        exchange.getMessage().removeHeaders("*");
        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, 204);
        exchange.getMessage().setBody(null);
    }

    private static String path(MismatchedInputException e) {
        String path = e.getPath().stream()
                .map(ref -> ref.getFieldName() != null ? ref.getFieldName() : "[" + ref.getIndex() + "]")
                .collect(Collectors.joining("."));
        return path.replace(".[", "[");
    }
}
