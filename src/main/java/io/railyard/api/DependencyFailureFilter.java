package io.railyard.api;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * A database outage met before any route runs (the partner key lookup in the security filters) escapes the filter
 * chain as an exception; it gets the same answer a route gives (503 problem+json with Retry-After), not a 500 error
 * page. Placed after the body filters (which need no database) and before Spring Security.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 3)
class DependencyFailureFilter extends OncePerRequestFilter {

    private final ProblemWriter problems;

    DependencyFailureFilter(ProblemWriter problems) {
        this.problems = problems;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        try {
            chain.doFilter(request, response);
        } catch (ServletException | IOException | RuntimeException e) {
            if (response.isCommitted() || !DependencyFailure.in(e)) {
                throw e;
            }
            response.reset();
            problems.write(response, DependencyFailure.problem(e));
        }
    }
}
