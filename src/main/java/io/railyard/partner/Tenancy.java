package io.railyard.partner;

import io.railyard.api.ApiProblem;
import org.apache.camel.Exchange;
import org.apache.camel.component.platform.http.springboot.PlatformHttpMessage;

/** The partner an API exchange acts for. Every partner route scopes its reads and writes by it. */
public final class Tenancy {

    private static final String PROPERTY = "railyard.partner";

    private Tenancy() {
    }

    public static PartnerPrincipal partnerOf(Exchange exchange) {
        PartnerPrincipal partner = exchange.getProperty(PROPERTY, PartnerPrincipal.class);
        if (partner == null && exchange.getIn() instanceof PlatformHttpMessage http) {
            partner = (PartnerPrincipal) http.getRequest().getAttribute(ApiKeyAuthenticationFilter.PARTNER_ATTRIBUTE);
            exchange.setProperty(PROPERTY, partner);
        }
        if (partner == null) { // the security chain lets no unauthenticated call reach a partner route
            throw new ApiProblem(io.railyard.api.Problem.of(401, "unauthenticated", "Unauthorized",
                    "a partner API key is required", null));
        }
        return partner;
    }
}
