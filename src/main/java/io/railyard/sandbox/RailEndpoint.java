package io.railyard.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.regex.Pattern;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.HttpMediaTypeNotSupportedException;
import org.springframework.web.bind.annotation.ExceptionHandler;

/**
 * What every rail simulator shares: its errors rendered in the rail's own shape, injected faults as bare 5xx, and the
 * checks real rails make on credentials, amounts and times.
 */
abstract class RailEndpoint {

    static final Pattern UUID_FORMAT = Pattern.compile(
            "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
    private static final Pattern DECIMAL = Pattern.compile("[0-9]{1,15}(\\.[0-9]{1,18})?");

    /** The rail's own error document. */
    abstract ResponseEntity<Object> render(RailError error);

    @ExceptionHandler(RailError.class)
    ResponseEntity<Object> onRailError(RailError error) {
        return render(error);
    }

    @ExceptionHandler({HttpMessageNotReadableException.class, HttpMediaTypeNotSupportedException.class})
    ResponseEntity<Object> onUnreadableBody() {
        return render(RailError.malformed());
    }

    @ExceptionHandler(SandboxFault.class)
    ResponseEntity<Object> onFault(SandboxFault fault) {
        return ResponseEntity.status(fault.status()).body(Map.of("message", fault.getMessage()));
    }

    /** {@code Authorization: Bearer <token>}: sandboxes accept any token, but not none. */
    static void requireBearer(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)
                || authorization.substring(7).isBlank()) {
            throw RailError.unauthorized("missing or malformed Authorization: Bearer <token>");
        }
    }

    static void requireHeader(String value, String header) {
        if (value == null || value.isBlank()) {
            throw RailError.unauthorized("missing " + header + " header");
        }
    }

    static void check(boolean ok, String field, String reason) {
        if (!ok) {
            throw RailError.invalid(field, reason);
        }
    }

    /** A non-blank JSON string at {@code pointer}, else null. */
    static String text(JsonNode body, String pointer) {
        JsonNode node = body.at(pointer);
        return node.isTextual() && !node.asText().isBlank() ? node.asText() : null;
    }

    /** A JSON string or number at {@code pointer} as text (rails that take amounts either way), else null. */
    static String scalar(JsonNode body, String pointer) {
        JsonNode node = body.at(pointer);
        return node.isNumber() ? node.decimalValue().toPlainString() : text(body, pointer);
    }

    /** A positive amount with at most {@code maxScale} decimals, at that scale; null when {@code text} is not one. */
    static BigDecimal amount(String text, int maxScale) {
        if (text == null || !DECIMAL.matcher(text).matches()) {
            return null;
        }
        BigDecimal amount = new BigDecimal(text);
        return amount.signum() > 0 && amount.scale() <= maxScale ? amount.setScale(maxScale) : null;
    }

    /** An RFC 3339 timestamp parameter, or {@code fallback} when absent. */
    static Instant time(String text, String param, Instant fallback) {
        if (text == null || text.isBlank()) {
            return fallback;
        }
        try {
            return OffsetDateTime.parse(text).toInstant();
        } catch (DateTimeParseException e) {
            throw RailError.invalid(param, "must be an RFC 3339 timestamp such as 2026-01-31T12:00:00Z");
        }
    }
}
