package io.railyard.partner;

import io.railyard.api.DependencyFailure;
import io.railyard.api.Problem;
import io.railyard.api.ProblemWriter;
import io.railyard.ops.RememberingPasswordEncoder;
import java.time.Duration;
import java.util.Set;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.security.web.firewall.RequestRejectedHandler;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configurers.AbstractHttpConfigurer;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.config.observation.SecurityObservationSettings;
import org.springframework.security.config.web.PathPatternRequestMatcherBuilderFactoryBean;
import org.springframework.security.crypto.bcrypt.BCryptPasswordEncoder;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.access.intercept.AuthorizationFilter;
import org.springframework.security.web.authentication.www.BasicAuthenticationFilter;
import org.springframework.security.web.csrf.CookieCsrfTokenRepository;
import org.springframework.security.web.savedrequest.HttpSessionRequestCache;
import org.springframework.security.web.servlet.util.matcher.PathPatternRequestMatcher;
import org.springframework.security.web.util.matcher.AndRequestMatcher;
import org.springframework.security.web.util.matcher.MediaTypeRequestMatcher;
import org.springframework.security.web.util.matcher.RequestHeaderRequestMatcher;
import org.springframework.security.web.util.matcher.NegatedRequestMatcher;
import org.springframework.security.web.util.matcher.RequestMatcher;

/**
 * Two kinds of caller: partners (API key, {@code /v1/**}) and ops users (login or HTTP Basic: {@code /v1/ops/**},
 * {@code /v1/treasury/**}, the ops console {@code /ops/**}, Hawtio, actuator). A partner on an ops route gets 403; anything unauthenticated on the API gets 401,
 * always as problem+json.
 */
@Configuration
class SecurityConfig {

    private static final RequestMatcher PARTNER_API = PathPatternRequestMatcher.withDefaults().matcher("/v1/**");

    /**
     * The rail sandboxes ({@code /sandbox/**}, local and tests only) check each rail's own credentials (any bearer
     * token, {@code X-Firma}, {@code X-Api-Key}); they must never meet the partner key filter, which would refuse
     * those tokens. Hence a chain of their own, ahead of the main one, rather than a permitAll in it.
     */
    @Bean
    @Order(1)
    @ConditionalOnProperty(name = "railyard.sandbox.enabled", havingValue = "true")
    SecurityFilterChain sandboxFilterChain(HttpSecurity http) throws Exception {
        return http.securityMatcher("/sandbox/**")
                .authorizeHttpRequests(auth -> auth.anyRequest().permitAll())
                .csrf(AbstractHttpConfigurer::disable)
                .requestCache(AbstractHttpConfigurer::disable)
                .sessionManagement(session -> session.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .build();
    }

    @Bean
    SecurityFilterChain securityFilterChain(HttpSecurity http, Partners partners, ProblemWriter problems)
            throws Exception {
        http.addFilterBefore(new ApiKeyAuthenticationFilter(partners, problems), BasicAuthenticationFilter.class)
                .addFilterAfter(new CallerAttributeFilter(), AuthorizationFilter.class)
                .authorizeHttpRequests(auth -> auth
                        .requestMatchers("/actuator/health/**", "/actuator/health", "/actuator/info").permitAll()
                        .requestMatchers("/v1/api-docs", "/docs/**", "/webjars/**").permitAll()
                        .requestMatchers("/ops/login", "/ops/assets/**").permitAll()
                        .requestMatchers("/v1/ops/**", "/v1/treasury/**", "/v1/reconciliation/**", "/ops/**", "/actuator/**")
                            .hasRole("OPS")
                        .requestMatchers("/v1/**").hasRole("PARTNER")
                        .anyRequest().authenticated())
                .httpBasic(basic -> basic.realmName("railyard-ops"))
                .requestCache(cache -> cache.requestCache(browserRequestsOnly()))
                // the ops console's login page (io.railyard.ops.OpsConsole); a browser sent there returns where it was going
                .formLogin(form -> form.loginPage("/ops/login").defaultSuccessUrl("/ops/", false))
                // The partner API is stateless and key-authenticated: CSRF protects the browser (ops) side only.
                .csrf(csrf -> csrf.ignoringRequestMatchers(PARTNER_API)
                        .csrfTokenRepository(CookieCsrfTokenRepository.withHttpOnlyFalse()))
                .exceptionHandling(errors -> errors
                        // ops credentials checked while the database is down: not a wrong password but a 503
                        .defaultAuthenticationEntryPointFor((request, response, e) -> problems.write(response,
                                DependencyFailure.in(e) ? DependencyFailure.problem(e)
                                        : Problem.of(401, "unauthenticated", "Unauthorized",
                                        "send a partner API key (Authorization: Bearer ryk_...) or ops credentials",
                                        null)),
                                PARTNER_API)
                        .defaultAccessDeniedHandlerFor((request, response, e) -> problems.write(response,
                                Problem.of(403, "forbidden", "Forbidden", "this route is not open to this caller", null)),
                                PARTNER_API));
        return http.build();
    }

    /**
     * The chains' {@code requestMatchers("/v1/**")} match the request's path. Without this, Spring Security 6.5 makes
     * each pattern ask, on every request, whether Spring MVC's servlet serves it (a servlet registration looked up, its
     * class loaded by name), and Spring MVC's patterns if so; the partner API is served by Camel's servlet.
     */
    @Bean
    static PathPatternRequestMatcherBuilderFactoryBean pathPatternRequestMatchers() {
        return new PathPatternRequestMatcherBuilderFactoryBean();
    }

    @Bean
    static HandlerLookupCacheRemoval handlerLookupCacheRemoval() {
        return new HandlerLookupCacheRemoval();
    }

    /**
     * No observation per security filter and per authorization decision: each request is timed once, as a whole
     * ({@code http_server_requests_seconds}), and what the chain decided shows in its status.
     */
    @Bean
    static SecurityObservationSettings noSecurityObservations() {
        return SecurityObservationSettings.noObservations();
    }

    /**
     * Remembers where a browser was going before login: page loads only (GET, HTML asked for explicitly), never an API
     * call (no session), a favicon or an htmx fragment the browser fetched on the side.
     */
    private static HttpSessionRequestCache browserRequestsOnly() {
        MediaTypeRequestMatcher html = new MediaTypeRequestMatcher(MediaType.TEXT_HTML);
        html.setIgnoredMediaTypes(Set.of(MediaType.ALL));
        HttpSessionRequestCache cache = new HttpSessionRequestCache();
        cache.setRequestMatcher(new AndRequestMatcher(new NegatedRequestMatcher(PARTNER_API),
                PathPatternRequestMatcher.withDefaults().matcher(HttpMethod.GET, "/**"), html,
                new NegatedRequestMatcher(new RequestHeaderRequestMatcher("HX-Request"))));
        return cache;
    }

    /** A URL the firewall refuses (encoded ; or %, "..", a NUL) gets a problem document like every other 400. */
    @Bean
    RequestRejectedHandler requestRejectedHandler(ProblemWriter problems) {
        return (request, response, rejected) -> problems.write(response, Problem.of(400, "request_rejected",
                "Bad request", "the request URL is not allowed", null));
    }

    /** BCrypt for ops passwords; a password just verified is not hashed again for a while (HTTP Basic on every call). */
    @Bean
    PasswordEncoder passwordEncoder(@Value("${railyard.ops.verified-password-ttl:PT5M}") Duration remembered) {
        return new RememberingPasswordEncoder(new BCryptPasswordEncoder(), remembered, 10_000);
    }
}
