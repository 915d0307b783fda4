package io.railyard.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.http.HttpHeaders;
import org.springframework.stereotype.Component;

/** Writes problem documents straight to a servlet response (security filters answer before any route runs). */
@Component
public class ProblemWriter {

    private final ObjectMapper json;

    public ProblemWriter(ObjectMapper json) {
        this.json = json;
    }

    public void write(HttpServletResponse response, Problem problem) throws IOException {
        response.setStatus(problem.status());
        response.setContentType(Problem.MEDIA_TYPE);
        if (problem.retryAfter() != null) {
            response.setHeader(HttpHeaders.RETRY_AFTER, problem.retryAfter());
        }
        json.writeValue(response.getOutputStream(), problem);
    }

    public String toJson(Problem problem) {
        try {
            return json.writeValueAsString(problem);
        } catch (IOException e) {
            throw new IllegalStateException("a problem document always serialises", e);
        }
    }
}
