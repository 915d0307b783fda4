package io.railyard.ops;

import static io.railyard.ops.Html.esc;

import jakarta.servlet.http.HttpServletRequest;
import java.security.Principal;
import java.util.Comparator;
import java.util.List;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.security.web.csrf.CsrfToken;
import org.springframework.stereotype.Controller;
import org.springframework.web.bind.annotation.GetMapping;

/**
 * The ops console shell at {@code /ops/}: login page, layout and navigation. Pages are served by the hub itself
 * (server-rendered HTML, htmx and ECharts from webjars in the jar: no npm build, no external network).
 *
 * <p>Adding a page (the pattern every console page follows): in the feature's package, a {@code @Controller} serving
 * {@code GET /ops/<feature>} that renders its main content with {@link #render} (server-rendered fragments refreshed
 * by htmx, e.g. {@code hx-get="/ops/<feature>/fragments/..." hx-trigger="load, every 15s"}), and a
 * {@code @Bean OpsConsole.Page} naming its path, label and place in the navigation. Security already gives
 * {@code /ops/**} to the OPS role (form login; CSRF token sent by htmx on every write).
 */
@Controller
public class OpsConsole {

    public static final String HTMX = "/webjars/htmx.org/2.0.10/dist/htmx.min.js";
    public static final String ECHARTS = "/webjars/echarts/5.3.1/dist/echarts.min.js";

    /** A navigation entry of the console. */
    public record Page(String path, String label, int order) {
    }

    private final List<Page> pages;

    OpsConsole(List<Page> pages) {
        this.pages = pages.stream().sorted(Comparator.comparingInt(Page::order).thenComparing(Page::path)).toList();
    }

    @GetMapping({"/ops", "/ops/"})
    ResponseEntity<Void> home() {
        return ResponseEntity.status(302).header("Location", pages.isEmpty() ? "/actuator/hawtio/" : pages.get(0).path())
                .build();
    }

    @GetMapping("/ops/login")
    ResponseEntity<String> login(HttpServletRequest request) {
        boolean error = request.getParameter("error") != null;
        boolean out = request.getParameter("logout") != null;
        CsrfToken csrf = (CsrfToken) request.getAttribute(CsrfToken.class.getName());
        String main = """
                <section class="login" aria-labelledby="login-title">
                  <h1 id="login-title">Sign in to the ops console</h1>
                  %s
                  <form method="post" action="/ops/login">
                    <input type="hidden" name="%s" value="%s">
                    <label for="username">Username</label>
                    <input id="username" name="username" autocomplete="username" required autofocus>
                    <label for="password">Password</label>
                    <input id="password" name="password" type="password" autocomplete="current-password" required>
                    <button type="submit">Sign in</button>
                  </form>
                </section>""".formatted(error ? "<p class=\"alert\" role=\"alert\">Wrong username or password.</p>"
                : out ? "<p class=\"notice\" role=\"status\">You are signed out.</p>" : "",
                esc(csrf.getParameterName()), esc(csrf.getToken()));
        return html(document("Sign in", "", main, List.of(), csrf));
    }

    /** A whole console page: header, navigation (this page marked current), the main content, the scripts. */
    public ResponseEntity<String> render(HttpServletRequest request, String path, String title, String main,
            List<String> scripts) {
        CsrfToken csrf = (CsrfToken) request.getAttribute(CsrfToken.class.getName());
        Principal user = request.getUserPrincipal();
        StringBuilder nav = new StringBuilder("<nav aria-label=\"Console sections\"><ul>");
        for (Page page : pages) {
            nav.append("<li><a href=\"").append(esc(page.path())).append('"')
                    .append(page.path().equals(path) ? " aria-current=\"page\"" : "").append('>')
                    .append(esc(page.label())).append("</a></li>");
        }
        nav.append("<li><a href=\"/actuator/hawtio/\">Hawtio (routes)</a></li></ul></nav>");
        String header = """
                <header class="top">
                  <a class="brand" href="/ops/">Railyard ops</a>
                  %s
                  <form class="signout" method="post" action="/logout">
                    <input type="hidden" name="%s" value="%s">
                    <span>Signed in as <strong>%s</strong></span> <button type="submit">Sign out</button>
                  </form>
                </header>""".formatted(nav, esc(csrf.getParameterName()), esc(csrf.getToken()),
                esc(user == null ? "?" : user.getName()));
        return html(document(title, header, "<h1>" + esc(title) + "</h1>" + main, scripts, csrf));
    }

    private static String document(String title, String header, String main, List<String> scripts, CsrfToken csrf) {
        StringBuilder js = new StringBuilder("<script src=\"" + HTMX + "\"></script>"
                + "<script src=\"/ops/assets/console.js\"></script>");
        scripts.forEach(src -> js.append("<script src=\"").append(esc(src)).append("\"></script>"));
        return """
                <!doctype html>
                <html lang="en">
                <head>
                  <meta charset="utf-8">
                  <meta name="viewport" content="width=device-width, initial-scale=1">
                  <meta name="csrf-header" content="%s">
                  <meta name="csrf-token" content="%s">
                  <title>%s · Railyard ops</title>
                  <link rel="stylesheet" href="/ops/assets/console.css">
                </head>
                <body>
                <a class="skip" href="#main">Skip to content</a>
                %s
                <main id="main" tabindex="-1">
                %s
                </main>
                %s
                </body>
                </html>""".formatted(esc(csrf.getHeaderName()), esc(csrf.getToken()), esc(title), header, main, js);
    }

    public static ResponseEntity<String> html(String body) {
        return ResponseEntity.ok().contentType(new MediaType(MediaType.TEXT_HTML, java.nio.charset.StandardCharsets.UTF_8))
                .header("Cache-Control", "no-store").body(body);
    }
}
