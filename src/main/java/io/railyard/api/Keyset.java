package io.railyard.api;

import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;

/**
 * Newest-first keyset pagination over ({@code created_at}, {@code id}): stable under concurrent inserts, no offsets.
 * The cursor is opaque to clients (base64url of the last row's position).
 */
public final class Keyset {

    private Keyset() {
    }

    /** A page of rows and the cursor of the next one (null on the last page). */
    public record Page<T>(List<T> data, String nextCursor) {
    }

    /** The {@code limit} query parameter: 1 to 200, 50 when absent. */
    public static int limit(String value) {
        try {
            int limit = value == null ? 50 : Integer.parseInt(value);
            if (limit < 1 || limit > 200) {
                throw new NumberFormatException();
            }
            return limit;
        } catch (NumberFormatException e) {
            throw ApiProblem.badRequest("invalid_query", "limit is 1 to 200", "limit");
        }
    }

    /** Appends the position condition (after {@code cursor}, when given), the order and the limit (one row more). */
    public static void appendPage(StringBuilder sql, List<Object> params, String cursor, int limit) {
        if (cursor != null) {
            String[] parts = decode(cursor);
            sql.append(" and (created_at, id) < (?, ?)");
            params.add(Timestamp.from(Instant.parse(parts[0])));
            params.add(UUID.fromString(parts[1]));
        }
        sql.append(" order by created_at desc, id desc limit ?");
        params.add(limit + 1);
    }

    /** Cuts the extra row fetched by {@link #appendPage} into the next page's cursor. */
    public static <T> Page<T> page(List<T> rows, int limit, Function<T, Instant> createdAt, Function<T, UUID> id) {
        if (rows.size() <= limit) {
            return new Page<>(rows, null);
        }
        T last = rows.get(limit - 1);
        String next = Base64.getUrlEncoder().withoutPadding().encodeToString(
                (createdAt.apply(last) + "|" + id.apply(last)).getBytes(StandardCharsets.UTF_8));
        return new Page<>(rows.subList(0, limit), next);
    }

    private static String[] decode(String cursor) {
        try {
            String[] parts = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8).split("\\|");
            Instant.parse(parts[0]);
            UUID.fromString(parts[1]);
            return parts;
        } catch (RuntimeException e) {
            throw ApiProblem.badRequest("invalid_cursor", "the cursor is not one this API issued", "cursor");
        }
    }
}
