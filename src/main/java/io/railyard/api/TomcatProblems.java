package io.railyard.api;

import java.io.IOException;
import java.util.Locale;
import org.apache.catalina.Valve;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.core.StandardHost;
import org.apache.catalina.valves.ErrorReportValve;
import org.springframework.boot.web.embedded.tomcat.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.core.Ordered;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;

/**
 * Requests Tomcat refuses before any filter or route sees them (an encoded slash or NUL in the path, a broken
 * %-escape, a malformed request line or header) are answered by the host's error report valve, which writes an HTML
 * page. This installs one that writes the same problem document as every other refusal, without server details.
 */
@Component
class TomcatProblems implements WebServerFactoryCustomizer<TomcatServletWebServerFactory>, Ordered {

    private final ProblemWriter problems;

    TomcatProblems(ProblemWriter problems) {
        this.problems = problems;
    }

    @Override
    public void customize(TomcatServletWebServerFactory factory) {
        factory.addContextCustomizers(context -> {
            StandardHost host = (StandardHost) context.getParent();
            for (Valve valve : host.getPipeline().getValves()) {
                if (valve instanceof ErrorReportValve) {
                    host.getPipeline().removeValve(valve); // Spring Boot's, which still writes HTML
                }
            }
            host.getPipeline().addValve(new ProblemReportValve(problems));
            // the host adds its default valve at start unless one of this class is already there
            host.setErrorReportValveClass(ProblemReportValve.class.getName());
        });
    }

    /** After Spring Boot's customizer, whose context customizer adds the valve this one replaces. */
    @Override
    public int getOrder() {
        return Ordered.LOWEST_PRECEDENCE;
    }

    static Problem problemFor(int status) {
        if (status == 400) {
            return Problem.of(400, "request_rejected", "Bad request",
                    "the request is malformed (an encoded slash or NUL in the path, a broken %-escape, an illegal "
                            + "character in the request line or a header)", null);
        }
        if (status >= 500) {
            return Problem.of(status, "internal_error", "Internal error", "the server could not handle the request",
                    null);
        }
        HttpStatus known = HttpStatus.resolve(status);
        String title = known == null ? "Error" : known.getReasonPhrase();
        return Problem.of(status, known == null ? "http_error" : known.name().toLowerCase(Locale.ROOT), title,
                "the server refused the request", null);
    }

    private static final class ProblemReportValve extends ErrorReportValve {

        private final ProblemWriter problems;

        ProblemReportValve(ProblemWriter problems) {
            this.problems = problems;
        }

        @Override
        protected void report(Request request, Response response, Throwable throwable) {
            int status = response.getStatus();
            // as Tomcat's: only an error nobody has answered yet
            if (status < 400 || response.getContentWritten() > 0 || !response.setErrorReported()) {
                return;
            }
            try {
                problems.write(response, problemFor(status));
                response.finishResponse();
            } catch (IOException | IllegalStateException e) {
                // the client is gone, or the response was committed meanwhile: nothing left to tell
            }
        }
    }
}
