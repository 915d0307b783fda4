package io.railyard.webhook;

import static io.railyard.ops.Html.badge;
import static io.railyard.ops.Html.esc;
import static io.railyard.ops.Html.num;

import com.fasterxml.jackson.databind.JsonNode;
import io.railyard.api.ApiProblem;
import io.railyard.ops.Html;
import io.railyard.ops.OpsAudit;
import io.railyard.ops.OpsConsole;
import io.railyard.partner.Partners;
import jakarta.servlet.http.HttpServletRequest;
import java.security.Principal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.context.annotation.Bean;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Controller;
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;

/**
 * Webhook testing in the ops console ({@code /ops/webhooks}): pick a partner, see its endpoints, send a test event,
 * follow deliveries with every attempt, replay one, look at the dead letter queue. The partner API
 * ({@code /v1/webhooks/*}) is scoped to the calling partner, so ops act here through the same services with the
 * partner chosen; sends and replays are audited ({@code ops_audit}, target {@code webhook-endpoint:<id>}).
 */
@Controller
class WebhookConsole {

    private static final String PATH = "/ops/webhooks";

    private final OpsConsole console;
    private final Partners partners;
    private final WebhookEndpoints endpoints;
    private final WebhookDeliveries deliveries;
    private final OpsAudit audit;
    private final TransactionTemplate tx;
    private final JdbcClient jdbc;

    WebhookConsole(OpsConsole console, Partners partners, WebhookEndpoints endpoints, WebhookDeliveries deliveries,
            OpsAudit audit, TransactionTemplate tx, JdbcClient jdbc) {
        this.console = console;
        this.partners = partners;
        this.endpoints = endpoints;
        this.deliveries = deliveries;
        this.audit = audit;
        this.tx = tx;
        this.jdbc = jdbc;
    }

    @Bean
    static OpsConsole.Page webhooksPage() {
        return new OpsConsole.Page(PATH, "Webhooks", 30);
    }

    @GetMapping(PATH)
    ResponseEntity<String> page(HttpServletRequest request, @RequestParam(required = false) String partner) {
        UUID chosen = partner == null || partner.isBlank() ? null : uuid(partner);
        StringBuilder options = new StringBuilder("<option value=\"\">Choose a partner…</option>");
        jdbc.sql("""
                select p.id, p.name, count(e.id) as endpoints from partners p join webhook_endpoints e
                on e.partner_id = p.id group by p.id, p.name order by p.name""")
                .query(rs -> {
                    String id = rs.getString("id");
                    options.append("<option value=\"").append(esc(id)).append('"')
                            .append(id.equals(String.valueOf(chosen)) ? " selected" : "").append('>')
                            .append(esc(rs.getString("name"))).append(" (").append(rs.getLong("endpoints"))
                            .append(rs.getLong("endpoints") == 1 ? " endpoint)" : " endpoints)").append("</option>");
                });
        StringBuilder main = new StringBuilder("""
                <p class="lede">Endpoints partners registered, test events, deliveries with every attempt, replays and
                the dead letter queue. Deliveries refresh every 5 seconds.</p>
                <form method="get" action="%s" class="inline">
                  <label for="partner">Partner</label>
                  <select id="partner" name="partner">%s</select>
                  <button type="submit">Show</button>
                </form>""".formatted(PATH, options));
        if (chosen != null) {
            Partners.Partner p = partners.find(chosen).orElseThrow(() -> ApiProblem.notFound("partner " + chosen));
            String base = PATH + "/partners/" + p.id();
            main.append("""
                    <section aria-labelledby="endpoints-title">
                      <h2 id="endpoints-title">Endpoints of %s</h2>
                      %s
                      <div id="test-result" aria-live="polite"></div>
                    </section>
                    <section aria-labelledby="deliveries-title">
                      <h2 id="deliveries-title">Deliveries</h2>
                      <div id="deliveries" hx-get="%s/fragments/deliveries" hx-trigger="load, every 5s"
                           aria-live="polite"><p class="muted">Loading…</p></div>
                      <div id="delivery-detail" aria-live="polite"></div>
                    </section>
                    <section aria-labelledby="dead-title">
                      <h2 id="dead-title">Dead letter queue</h2>
                      <div id="dead-letters" hx-get="%s/fragments/deliveries?status=DEAD" hx-trigger="load, every 5s"
                           aria-live="polite"><p class="muted">Loading…</p></div>
                    </section>""".formatted(esc(p.name()), endpointsHtml(p.id(), base), base, base));
        }
        return console.render(request, PATH, "Webhooks", main.toString(), List.of());
    }

    private String endpointsHtml(UUID partner, String base) {
        StringBuilder types = new StringBuilder();
        WebhookEventTypes.ALL.forEach(t -> types.append("<option").append(t.equals(WebhookEventTypes.TEST)
                ? " selected" : "").append('>').append(esc(t)).append("</option>"));
        List<List<String>> rows = new ArrayList<>();
        for (WebhookEndpoints.Endpoint e : endpoints.list(partner)) {
            String state = !e.enabled() ? badge("disabled", "bad")
                    : e.pausedUntil() != null && e.pausedUntil().isAfter(java.time.Instant.now())
                            ? badge("paused", "warn") : badge("enabled", "ok");
            String form = """
                    <form hx-post="%s/endpoints/%s/test" hx-target="#test-result" class="inline">
                      <label for="type-%2$s">Event type</label>
                      <select id="type-%2$s" name="event_type">%s</select>
                      <button type="submit">Send test event</button>
                    </form>""".formatted(base, e.id(), types);
            rows.add(List.of(esc(e.url()) + (e.description() == null ? "" : "<br><span class=\"muted\">"
                    + esc(e.description()) + "</span>"), esc(e.eventTypes().isEmpty() ? "every type"
                    : String.join(", ", e.eventTypes())), state, num(e.consecutiveFailures()), form));
        }
        return Html.table("endpoints-table", "Registered endpoints", List.of("URL", "Events", "State",
                "Consecutive failures", "Test"), rows, "This partner has no endpoint.");
    }

    @PostMapping(PATH + "/partners/{partner}/endpoints/{endpoint}/test")
    ResponseEntity<String> test(@PathVariable String partner, @PathVariable String endpoint,
            @RequestParam(name = "event_type", required = false) String eventType, Principal user) {
        UUID p = uuid(partner);
        UUID e = uuid(endpoint);
        try {
            Map<String, Object> sent = tx.execute(status -> {
                Map<String, Object> result = deliveries.sendTest(p, e, eventType);
                audit.record("ops:" + user.getName(), "webhook.test", "webhook-endpoint:" + e,
                        "test event sent from the ops console", Map.of("partner_id", p.toString(),
                                "delivery_id", result.get("id"), "event_type", result.get("event_type")));
                return result;
            });
            @SuppressWarnings("unchecked")
            Map<String, Object> response = (Map<String, Object>) sent.get("response");
            boolean ok = "SUCCEEDED".equals(sent.get("status"));
            return OpsConsole.html("<div class=\"" + (ok ? "notice" : "alert") + "\" role=\"status\" id=\"test-outcome\">"
                    + "Test event <code>" + esc(sent.get("event_type")) + "</code>: " + badge(String.valueOf(
                            sent.get("status")), ok ? "ok" : "bad") + " HTTP " + esc(response.get("status"))
                    + " in " + esc(response.get("latency_ms")) + " ms" + (response.get("error") == null ? ""
                            : " — " + esc(response.get("error"))) + ". Delivery <code>" + esc(sent.get("id"))
                    + "</code> is listed below.</div>");
        } catch (ApiProblem problem) {
            return OpsConsole.html("<p class=\"alert\" role=\"alert\">" + esc(problem.problem().detail()) + "</p>");
        }
    }

    @GetMapping(PATH + "/partners/{partner}/fragments/deliveries")
    ResponseEntity<String> deliveries(@PathVariable String partner, @RequestParam(required = false) String status) {
        UUID p = uuid(partner);
        String base = PATH + "/partners/" + p;
        Map<UUID, String> urls = new LinkedHashMap<>();
        endpoints.list(p).forEach(e -> urls.put(e.id(), e.url()));
        WebhookDeliveries.Page page = deliveries.list(p, new WebhookDeliveries.Filter(null, status, null, null), 25,
                null);
        List<List<String>> rows = new ArrayList<>();
        for (Map<String, Object> d : page.data()) {
            String s = String.valueOf(d.get("status"));
            String actions = "<button type=\"button\" hx-get=\"" + base + "/fragments/deliveries/" + esc(d.get("id"))
                    + "\" hx-target=\"#delivery-detail\">Attempts</button>";
            if (!Boolean.TRUE.equals(d.get("test"))) {
                actions += " <button type=\"button\" hx-post=\"" + base + "/deliveries/" + esc(d.get("id"))
                        + "/replay\" hx-target=\"#delivery-detail\">Replay</button>";
            }
            rows.add(List.of(esc(d.get("created_at")), "<code>" + esc(d.get("event_type")) + "</code>"
                    + (Boolean.TRUE.equals(d.get("test")) ? " " + badge("test", "info") : ""),
                    esc(urls.getOrDefault(UUID.fromString(String.valueOf(d.get("endpoint_id"))), "?")),
                    badge(s, switch (s) {
                        case "SUCCEEDED" -> "ok";
                        case "PENDING" -> "info";
                        default -> "bad";
                    }), num(d.get("attempts") + " / " + d.get("total_attempts")),
                    num(d.get("last_response_status") == null ? "—" : d.get("last_response_status")), actions));
        }
        String caption = "DEAD".equals(status) ? "Dead deliveries (latest 25): attempts exhausted or endpoint gone"
                : "Latest 25 deliveries";
        return OpsConsole.html(Html.table("DEAD".equals(status) ? "dead-table" : "deliveries-table", caption,
                List.of("Created", "Event", "Endpoint", "Status", "Attempts (schedule / total)", "Last HTTP status",
                        "Actions"), rows, "DEAD".equals(status) ? "The dead letter queue is empty."
                        : "No delivery yet."));
    }

    @GetMapping(PATH + "/partners/{partner}/fragments/deliveries/{delivery}")
    ResponseEntity<String> detail(@PathVariable String partner, @PathVariable String delivery) {
        return OpsConsole.html(detailHtml(deliveries.detail(uuid(partner), uuid(delivery)), null));
    }

    @PostMapping(PATH + "/partners/{partner}/deliveries/{delivery}/replay")
    ResponseEntity<String> replay(@PathVariable String partner, @PathVariable String delivery, Principal user) {
        UUID p = uuid(partner);
        UUID d = uuid(delivery);
        try {
            Map<String, Object> replayed = tx.execute(status -> {
                Map<String, Object> result = deliveries.replay(p, d);
                audit.record("ops:" + user.getName(), "webhook.replay", "webhook-endpoint:" + result.get("endpoint_id"),
                        "replayed from the ops console", Map.of("partner_id", p.toString(), "delivery_id",
                                d.toString()));
                return result;
            });
            return OpsConsole.html(detailHtml(replayed, "Replay scheduled: a fresh attempt schedule starts now."));
        } catch (ApiProblem problem) {
            return OpsConsole.html("<p class=\"alert\" role=\"alert\">" + esc(problem.problem().detail()) + "</p>");
        }
    }

    private static String detailHtml(Map<String, Object> d, String message) {
        List<List<String>> rows = new ArrayList<>();
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> attempts = (List<Map<String, Object>>) d.get("attempt_log");
        for (Map<String, Object> a : attempts) {
            @SuppressWarnings("unchecked")
            Map<String, Object> response = (Map<String, Object>) a.get("response");
            JsonNode headers = (JsonNode) response.get("headers");
            rows.add(List.of(num(a.get("attempt")), esc(a.get("attempted_at")), badge(String.valueOf(a.get("outcome")),
                    "SUCCEEDED".equals(a.get("outcome")) ? "ok" : "bad"),
                    num(response.get("status") == null ? "—" : response.get("status")), num(a.get("latency_ms")),
                    esc(a.get("error")), "<pre>" + esc(response.get("body_excerpt")) + "</pre>"
                            + (headers == null ? "" : "<details><summary>Response headers</summary><pre>"
                                    + esc(headers.toPrettyString()) + "</pre></details>")));
        }
        JsonNode payload = (JsonNode) d.get("payload");
        return (message == null ? "" : "<p class=\"notice\" role=\"status\">" + esc(message) + "</p>")
                + "<h3>Delivery <code>" + esc(d.get("id")) + "</code> · <code>" + esc(d.get("event_type"))
                + "</code> · " + esc(d.get("status")) + "</h3>"
                + Html.table("attempts-table", "Attempts of this delivery", List.of("#", "At", "Outcome", "HTTP status",
                        "Latency (ms)", "Error", "Response body"), rows, "No attempt yet: it is scheduled.")
                + "<details><summary>Payload (as signed)</summary><pre>" + esc(payload == null ? ""
                        : payload.toPrettyString()) + "</pre></details>";
    }

    private static UUID uuid(String value) {
        try {
            return UUID.fromString(value);
        } catch (IllegalArgumentException e) {
            throw ApiProblem.notFound(value);
        }
    }
}
