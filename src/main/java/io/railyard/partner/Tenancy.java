package io.railyard.partner;

import io.railyard.api.ApiProblem;
import io.railyard.api.Problem;
import java.util.Optional;
import org.apache.camel.Exchange;
import org.apache.camel.http.common.HttpMessage;
import org.springframework.security.core.Authentication;

/**
 * Who an API exchange acts for. Camel routes run on another thread than the servlet filters, so the caller travels as
 * a request attribute ({@link CallerAttributeFilter}) rather than in the thread-bound security context.
 */
public final class Tenancy {

    private static final String PROPERTY = "railyard.caller";

    private Tenancy() {
    }

    /** The partner of a partner route; every partner route scopes its reads and writes by it. */
    public static PartnerPrincipal partnerOf(Exchange exchange) {
        return caller(exchange).map(Authentication::getPrincipal)
                .filter(PartnerPrincipal.class::isInstance).map(PartnerPrincipal.class::cast)
                .orElseThrow(() -> new ApiProblem(Problem.of(401, "unauthenticated", "Unauthorized",
                        "a partner API key is required", null)));
    }

    /** A stable name of the caller, for scoping idempotency keys and for audit trails: partner:&lt;id&gt; or ops:&lt;user&gt;. */
    public static String scopeOf(Exchange exchange) {
        Authentication caller = caller(exchange).orElseThrow(() -> new ApiProblem(Problem.of(401, "unauthenticated",
                "Unauthorized", "credentials are required", null)));
        return caller.getPrincipal() instanceof PartnerPrincipal partner ? "partner:" + partner.partnerId()
                : "ops:" + caller.getName();
    }

    private static Optional<Authentication> caller(Exchange exchange) {
        Authentication caller = exchange.getProperty(PROPERTY, Authentication.class);
        if (caller == null && exchange.getIn() instanceof HttpMessage http) {
            caller = (Authentication) http.getRequest().getAttribute(CallerAttributeFilter.ATTRIBUTE);
            exchange.setProperty(PROPERTY, caller);
        }
        return Optional.ofNullable(caller);
    }
}
