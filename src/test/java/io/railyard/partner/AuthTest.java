package io.railyard.partner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.railyard.HubTest;
import java.time.Duration;
import java.util.UUID;
import jakarta.servlet.Filter;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.security.web.FilterChainProxy;
import org.springframework.security.web.ObservationFilterChainDecorator;
import org.springframework.test.util.ReflectionTestUtils;
import org.springframework.util.ReflectionUtils;
import org.springframework.web.filter.ServletRequestPathFilter;

class AuthTest extends HubTest {

    @Autowired
    @Qualifier("springSecurityFilterChain")
    Filter securityChain;

    @Test
    void aPartnerRouteWithoutAKeyIs401ProblemJson() {
        Reply reply = call("GET", "/v1/accounts").send();
        assertThat(reply.status()).isEqualTo(401);
        assertThat(reply.contentType()).startsWith("application/problem+json");
        assertThat(reply.json().get("code").asText()).isEqualTo("unauthenticated");
        assertThat(reply.header("Set-Cookie")).as("the API never opens a session").isNull();
    }

    @Test
    void anUnknownKeyIs401() {
        Reply reply = call("GET", "/v1/accounts").header("Authorization", "Bearer ryk_not-a-real-key").send();
        assertThat(reply.status()).isEqualTo(401);
        assertThat(reply.json().get("code").asText()).isEqualTo("invalid_api_key");
    }

    @Test
    void aKeyWorksByBearerOrXApiKeyAndStopsWorkingWhenRevoked() {
        TestPartner partner = newPartner("1 USD");
        assertThat(call("GET", "/v1/accounts").as(partner).send().status()).isEqualTo(200);
        assertThat(call("GET", "/v1/accounts").header("X-Api-Key", partner.key()).send().status()).isEqualTo(200);

        UUID keyId = partners.keys(partner.id()).get(0).id();
        Reply revoked = call("DELETE", "/v1/ops/partners/" + partner.id() + "/keys/" + keyId).asOps().send();
        assertThat(revoked.status()).isEqualTo(204);

        assertThat(call("GET", "/v1/accounts").as(partner).send().status()).isEqualTo(401);
    }

    @Test
    void aKeyRevokedByAnotherHubIsRefusedOnceThisHubsMemoryOfItExpires() {
        TestPartner partner = newPartner("1 USD");
        assertThat(call("GET", "/v1/accounts").as(partner).send().status()).isEqualTo(200);
        UUID keyId = partners.keys(partner.id()).get(0).id();

        // another hub revokes it: this hub's database row changes, its memory does not
        jdbc.sql("update api_keys set revoked_at = now() where id = ?").param(keyId).update();
        assertThat(partners.authenticate(partner.key())).as("remembered for active-key-ttl (5 s)").isPresent();

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(call("GET", "/v1/accounts").as(partner).send().status()).isEqualTo(401));
    }

    @Test
    void aRefusedKeyIsNotRemembered() {
        TestPartner partner = newPartner("1 USD");
        UUID keyId = partners.keys(partner.id()).get(0).id();
        jdbc.sql("update api_keys set revoked_at = now() where id = ?").param(keyId).update();
        assertThat(partners.authenticate(partner.key())).isEmpty();

        jdbc.sql("update api_keys set revoked_at = null where id = ?").param(keyId).update();
        assertThat(partners.authenticate(partner.key())).as("a refusal is not remembered").isPresent();
    }

    @Test
    void keysAreStoredOnlyAsHashes() {
        TestPartner partner = newPartner();
        assertThat(jdbc.sql("select count(*) from api_keys where encode(key_hash, 'escape') like ?")
                .param("%" + partner.key().substring(4, 20) + "%").query(Long.class).single()).isZero();
        assertThat(partners.keys(partner.id())).singleElement()
                .satisfies(key -> assertThat(partner.key()).startsWith(key.prefix()));
    }

    @Test
    void anotherPartnersAccountIsNotFound() {
        TestPartner alice = newPartner("5 USD");
        TestPartner bob = newPartner("7 USD");
        String aliceAccount = call("GET", "/v1/accounts").as(alice).send().json().get("data").get(0).get("id").asText();

        assertThat(call("GET", "/v1/accounts/" + aliceAccount).as(alice).send().status()).isEqualTo(200);
        Reply asBob = call("GET", "/v1/accounts/" + aliceAccount).as(bob).send();
        assertThat(asBob.status()).as(asBob.toString()).isEqualTo(404);
        assertThat(asBob.json().get("code").asText()).isEqualTo("not_found");
        assertThat(call("GET", "/v1/accounts").as(bob).send().body()).doesNotContain(aliceAccount);
    }

    @Test
    void anOpsRouteAsAPartnerIs403() {
        TestPartner partner = newPartner();
        Reply reply = call("GET", "/v1/ops/partners").as(partner).send();
        assertThat(reply.status()).isEqualTo(403);
        assertThat(reply.json().get("code").asText()).isEqualTo("forbidden");
    }

    @Test
    void opsCredentialsOpenTheOpsApiButNotWithAWrongPassword() {
        assertThat(call("GET", "/v1/ops/partners").asOps().send().status()).isEqualTo(200);
        opsAuthorization();
        Reply wrong = call("GET", "/v1/ops/partners").header("Authorization", "Basic "
                + java.util.Base64.getEncoder().encodeToString((OPS_USER + ":nope").getBytes())).send();
        assertThat(wrong.status()).isEqualTo(401);
    }

    @Test
    void hawtioJolokiaAndPrometheusAreForOpsOnly() {
        TestPartner partner = newPartner();
        for (String path : new String[] {"/actuator/hawtio/jolokia/version", "/actuator/prometheus"}) {
            assertThat(call("GET", path).send().status()).as(path + " anonymous").isIn(401, 302);
            assertThat(call("GET", path).as(partner).send().status()).as(path + " as partner").isEqualTo(403);
            assertThat(call("GET", path).asOps().send().status()).as(path + " as ops").isEqualTo(200);
        }
        assertThat(call("GET", "/actuator/hawtio/jolokia/read/org.apache.camel:context=railyard,type=context,"
                + "name=%22railyard%22/State").asOps().send().body()).contains("Started");
    }

    @Test
    void theApiDocsAreBrowsableWithoutExternalAssets() {
        Reply docs = call("GET", "/docs/index.html").send();
        assertThat(docs.status()).isEqualTo(200);
        assertThat(docs.body()).contains("/v1/api-docs").doesNotContain("https://");
        assertThat(call("GET", "/webjars/swagger-ui/5.34.1/swagger-ui-bundle.js").send().status()).isEqualTo(200);
        assertThat(call("GET", "/v1/api-docs").send().body()).contains("/v1\"", "\"/transfers\"").doesNotContain("0.0.0.0");
    }

    @Test
    void healthIsPublicAndShowsDatabaseAndKafka() {
        Reply health = call("GET", "/actuator/health").send();
        assertThat(health.status()).isEqualTo(200);
        assertThat(health.json().at("/components/db/status").asText()).isEqualTo("UP");
        assertThat(health.json().at("/components/kafka/status").asText()).isEqualTo("UP");
    }

    /** What a request meets before the chain's own filters (HandlerLookupCacheRemoval, SecurityConfig). */
    @Test
    void theSecurityChainIsNeitherBehindSpringMvcsHandlerLookupNorObservedFilterByFilter() {
        List<Filter> filters = opened(securityChain);
        assertThat(filters).as("HandlerMappingIntrospector's cache filter, a lambda of that class, is gone")
                .noneMatch(filter -> filter.getClass().getName().contains("HandlerMappingIntrospector"))
                .as("the request path is still parsed once for the chain's path patterns")
                .anySatisfy(filter -> assertThat(filter).isInstanceOf(ServletRequestPathFilter.class));
        assertThat(filters).filteredOn(FilterChainProxy.class::isInstance).singleElement()
                .extracting("filterChainDecorator").isNotInstanceOf(ObservationFilterChainDecorator.class);
    }

    /** Spring Security's composites (a FilterChainProxy whose doFilter runs a list of filters) opened, recursively. */
    private static List<Filter> opened(Filter filter) {
        if (ReflectionUtils.findField(filter.getClass(), "doFilterDelegate") == null) {
            return List.of(filter);
        }
        Object delegate = ReflectionTestUtils.getField(filter, "doFilterDelegate");
        Object parts = ReflectionTestUtils.getField(delegate, "filters");
        return ((List<?>) parts).stream().flatMap(part -> opened((Filter) part).stream()).toList();
    }
}
