package io.railyard.webhook;

import io.railyard.api.ApiProblem;
import java.net.URI;
import java.sql.Array;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** Partner webhook endpoints: registration, changes, secret rotation. Every method is scoped by the partner. */
@Service
public class WebhookEndpoints {

    static final int MAX_PER_PARTNER = 50;
    static final Duration MAX_OVERLAP = Duration.ofDays(7);

    private final JdbcClient jdbc;
    private final WebhookSecrets secrets;
    private final UrlPolicy urls;
    private final WebhookSettings settings;

    WebhookEndpoints(JdbcClient jdbc, WebhookSecrets secrets, UrlPolicy urls, WebhookSettings settings) {
        this.jdbc = jdbc;
        this.secrets = secrets;
        this.urls = urls;
        this.settings = settings;
    }

    /** An endpoint as the partner sees it (never its secrets). */
    public record Endpoint(UUID id, UUID partnerId, String url, String description, List<String> eventTypes,
            boolean enabled, String disabledReason, int consecutiveFailures, Instant pausedUntil,
            Instant secretRotatedAt, Instant previousSecretExpiresAt, Instant createdAt, Instant updatedAt) {

        public Map<String, Object> view() {
            Map<String, Object> view = new LinkedHashMap<>();
            view.put("id", id.toString());
            view.put("object", "webhook_endpoint");
            view.put("url", url);
            view.put("description", description);
            view.put("event_types", eventTypes);
            view.put("enabled", enabled);
            view.put("disabled_reason", disabledReason);
            view.put("consecutive_failures", consecutiveFailures);
            view.put("paused_until", text(pausedUntil));
            view.put("secret_rotated_at", text(secretRotatedAt));
            view.put("previous_secret_expires_at", text(previousSecretExpiresAt));
            view.put("created_at", createdAt.toString());
            view.put("updated_at", updatedAt.toString());
            return view;
        }
    }

    /** A change: null fields stay as they are; an empty description clears it; empty event types = every type. */
    public record Patch(String url, List<String> eventTypes, String description, Boolean enabled) {
    }

    @Transactional
    public Map<String, Object> create(UUID partnerId, String url, List<String> eventTypes, String description,
            Boolean enabled) {
        URI uri = urls.validate(url);
        List<String> filter = WebhookEventTypes.validate(eventTypes);
        long count = jdbc.sql("select count(*) from webhook_endpoints where partner_id = ?").param(partnerId)
                .query(Long.class).single();
        if (count >= MAX_PER_PARTNER) {
            throw ApiProblem.unprocessable("too_many_endpoints", "Too many endpoints",
                    "a partner has at most " + MAX_PER_PARTNER + " webhook endpoints", null);
        }
        UUID id = UUID.randomUUID();
        String secret = secrets.generate();
        jdbc.sql("""
                insert into webhook_endpoints (id, partner_id, url, description, event_types, enabled, secret)
                values (?, ?, ?, ?, ?, ?, ?)""")
                .params(id, partnerId, uri.toString(), description(description), filter.toArray(String[]::new),
                        enabled == null || enabled, secrets.seal(secret))
                .update();
        Map<String, Object> view = require(partnerId, id).view();
        view.put("secret", secret);
        return view;
    }

    public List<Endpoint> list(UUID partnerId) {
        return jdbc.sql("select * from webhook_endpoints where partner_id = ? order by created_at, id")
                .param(partnerId).query(WebhookEndpoints::map).list();
    }

    public Optional<Endpoint> find(UUID partnerId, UUID id) {
        return jdbc.sql("select * from webhook_endpoints where id = ? and partner_id = ?").params(id, partnerId)
                .query(WebhookEndpoints::map).optional();
    }

    public Endpoint require(UUID partnerId, UUID id) {
        return find(partnerId, id).orElseThrow(() -> ApiProblem.notFound("webhook endpoint " + id));
    }

    @Transactional
    public Endpoint update(UUID partnerId, UUID id, Patch patch) {
        Endpoint current = jdbc.sql("select * from webhook_endpoints where id = ? and partner_id = ? for update")
                .params(id, partnerId).query(WebhookEndpoints::map).optional()
                .orElseThrow(() -> ApiProblem.notFound("webhook endpoint " + id));
        String url = patch.url() == null ? current.url() : urls.validate(patch.url()).toString();
        List<String> filter = patch.eventTypes() == null ? current.eventTypes()
                : WebhookEventTypes.validate(patch.eventTypes());
        String description = patch.description() == null ? current.description() : description(patch.description());
        boolean enabled = patch.enabled() == null ? current.enabled() : patch.enabled();
        boolean reEnabled = enabled && !current.enabled();
        jdbc.sql("""
                update webhook_endpoints set url = ?, event_types = ?, description = ?, enabled = ?,
                    disabled_reason = case when ? then null when ? then coalesce(disabled_reason, 'disabled by partner')
                                           else disabled_reason end,
                    consecutive_failures = case when ? then 0 else consecutive_failures end,
                    paused_until = case when ? then null else paused_until end,
                    updated_at = now()
                where id = ?""")
                .params(url, filter.toArray(String[]::new), description, enabled, enabled, !enabled, reEnabled,
                        reEnabled, id)
                .update();
        return require(partnerId, id);
    }

    /** Deletes the endpoint with its deliveries and their attempts. */
    @Transactional
    public void delete(UUID partnerId, UUID id) {
        if (jdbc.sql("delete from webhook_endpoints where id = ? and partner_id = ?").params(id, partnerId)
                .update() == 0) {
            throw ApiProblem.notFound("webhook endpoint " + id);
        }
    }

    /**
     * A new secret signs from now on; the previous one keeps signing too (both signatures are sent) for
     * {@code overlap} (null: railyard.webhooks.secret-rotation-overlap; zero: revoke it at once).
     */
    @Transactional
    public Map<String, Object> rotate(UUID partnerId, UUID id, Duration overlap) {
        Duration keep = overlap == null ? settings.secretRotationOverlap() : overlap;
        if (keep.isNegative() || keep.compareTo(MAX_OVERLAP) > 0) {
            throw ApiProblem.invalid("overlap", "between PT0S and P7D");
        }
        require(partnerId, id);
        String secret = secrets.generate();
        jdbc.sql("""
                update webhook_endpoints set previous_secret = case when ? then secret end,
                    previous_secret_expires_at = case when ? then now() + ? * interval '1 millisecond' end,
                    secret = ?, secret_rotated_at = now(), updated_at = now()
                where id = ? and partner_id = ?""")
                .params(!keep.isZero(), !keep.isZero(), keep.toMillis(), secrets.seal(secret), id, partnerId)
                .update();
        Map<String, Object> view = require(partnerId, id).view();
        view.put("secret", secret);
        return view;
    }

    /** The secrets an attempt is signed with now: the current one, and the previous one during its overlap. */
    List<String> signingSecrets(String sealedCurrent, String sealedPrevious, Instant previousExpiresAt, Instant now) {
        List<String> keys = new ArrayList<>(2);
        keys.add(secrets.open(sealedCurrent));
        if (sealedPrevious != null && previousExpiresAt != null && previousExpiresAt.isAfter(now)) {
            keys.add(secrets.open(sealedPrevious));
        }
        return keys;
    }

    private static String description(String description) {
        if (description == null || description.isEmpty()) {
            return null;
        }
        if (description.length() > 256) {
            throw ApiProblem.invalid("description", "at most 256 characters");
        }
        return description;
    }

    static Endpoint map(ResultSet rs, int n) throws SQLException {
        return new Endpoint(rs.getObject("id", UUID.class), rs.getObject("partner_id", UUID.class),
                rs.getString("url"), rs.getString("description"), strings(rs.getArray("event_types")),
                rs.getBoolean("enabled"), rs.getString("disabled_reason"), rs.getInt("consecutive_failures"),
                instant(rs.getTimestamp("paused_until")), instant(rs.getTimestamp("secret_rotated_at")),
                instant(rs.getTimestamp("previous_secret_expires_at")), instant(rs.getTimestamp("created_at")),
                instant(rs.getTimestamp("updated_at")));
    }

    static List<String> strings(Array array) throws SQLException {
        return array == null ? List.of() : Arrays.asList((String[]) array.getArray());
    }

    static Instant instant(Timestamp timestamp) {
        return timestamp == null ? null : timestamp.toInstant();
    }

    static String text(Instant instant) {
        return instant == null ? null : instant.toString();
    }
}
