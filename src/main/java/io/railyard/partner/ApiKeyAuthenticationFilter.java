package io.railyard.partner;

import io.railyard.api.Problem;
import io.railyard.api.ProblemWriter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Authenticates partner requests by API key ({@code Authorization: Bearer ryk_...} or {@code X-Api-Key}). A presented
 * but unknown or revoked key is answered 401 at once; requests without a key fall through to the other mechanisms.
 */
class ApiKeyAuthenticationFilter extends OncePerRequestFilter {

    private static final List<SimpleGrantedAuthority> PARTNER_ROLE = List.of(new SimpleGrantedAuthority("ROLE_PARTNER"));

    private final Partners partners;
    private final ProblemWriter problems;

    ApiKeyAuthenticationFilter(Partners partners, ProblemWriter problems) {
        this.partners = partners;
        this.problems = problems;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        Optional<String> key = presentedKey(request);
        if (key.isEmpty()) {
            chain.doFilter(request, response);
            return;
        }
        Optional<PartnerPrincipal> partner = partners.authenticate(key.get());
        if (partner.isEmpty()) {
            problems.write(response, Problem.of(401, "invalid_api_key", "Unauthorized",
                    "the API key is unknown or revoked", null));
            return;
        }
        SecurityContextHolder.getContext().setAuthentication(
                UsernamePasswordAuthenticationToken.authenticated(partner.get(), null, PARTNER_ROLE));
        try {
            chain.doFilter(request, response);
        } finally {
            SecurityContextHolder.clearContext();
        }
    }

    private static Optional<String> presentedKey(HttpServletRequest request) {
        String header = request.getHeader("X-Api-Key");
        if (header != null && !header.isBlank()) {
            return Optional.of(header.trim());
        }
        String authorization = request.getHeader("Authorization");
        if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return Optional.of(authorization.substring(7).trim());
        }
        return Optional.empty();
    }
}
