package io.railyard.partner;

import io.railyard.api.ApiProblem;
import io.railyard.api.JsonBodies;
import io.railyard.idempotency.Idempotency;
import io.railyard.ledger.AccountKey;
import io.railyard.ledger.AccountKind;
import io.railyard.ledger.CurrencyCode;
import io.railyard.ledger.EntryRequest;
import io.railyard.ledger.Ledger;
import io.railyard.ledger.Posted;
import java.math.BigDecimal;
import java.util.Map;
import java.util.UUID;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.springframework.stereotype.Component;

/** Ops API: onboard partners, issue and revoke their keys, book their deposits. */
@Component
class PartnerAdminRoutes extends RouteBuilder {

    private final Partners partners;
    private final Ledger ledger;
    private final JsonBodies bodies;
    private final Idempotency idempotency;

    PartnerAdminRoutes(Partners partners, Ledger ledger, JsonBodies bodies, Idempotency idempotency) {
        this.partners = partners;
        this.ledger = ledger;
        this.bodies = bodies;
        this.idempotency = idempotency;
    }

    record CreatePartner(String name) {
    }

    record Deposit(String currency, BigDecimal amount, String reference) {
    }

    @Override
    public void configure() {
        rest("/ops/partners").description("Ops: partners, API keys and deposits (ops credentials)")
                .post().id("partner.admin.create").description("Create a partner and its first API key (shown once)")
                    .to("direct:partner.admin.create")
                .get().id("partner.admin.list").description("List partners").to("direct:partner.admin.list")
                .post("/{partnerId}/keys").id("partner.admin.issue-key").description("Issue another API key (shown once)")
                    .to("direct:partner.admin.issue-key")
                .get("/{partnerId}/keys").id("partner.admin.keys").description("List a partner's keys (prefixes only)")
                    .to("direct:partner.admin.keys")
                .delete("/{partnerId}/keys/{keyId}").id("partner.admin.revoke-key").description("Revoke an API key")
                    .to("direct:partner.admin.revoke-key")
                .post("/{partnerId}/deposits").id("partner.admin.deposit")
                    .description("Book funds received from the partner (idempotent by reference)")
                    .to("direct:partner.admin.deposit");

        from("direct:partner.admin.create").routeId("partner.admin.create.handle").routeConfigurationId("api-errors")
                .process(idempotency.optional(this::create));
        from("direct:partner.admin.list").routeId("partner.admin.list.handle").routeConfigurationId("api-errors")
                .process(exchange -> bodies.respond(exchange, 200, Map.of("data", partners.list())));
        from("direct:partner.admin.issue-key").routeId("partner.admin.issue-key.handle").routeConfigurationId("api-errors")
                .process(idempotency.optional(
                        exchange -> bodies.respond(exchange, 201, partners.issueKey(partner(exchange).id()))));
        from("direct:partner.admin.keys").routeId("partner.admin.keys.handle").routeConfigurationId("api-errors")
                .process(exchange -> bodies.respond(exchange, 200,
                        Map.of("data", partners.keys(partner(exchange).id()))));
        from("direct:partner.admin.revoke-key").routeId("partner.admin.revoke-key.handle")
                .routeConfigurationId("api-errors")
                .process(idempotency.optional(this::revoke));
        from("direct:partner.admin.deposit").routeId("partner.admin.deposit.handle").routeConfigurationId("api-errors")
                .process(idempotency.optional(this::deposit));
    }

    private void create(Exchange exchange) {
        CreatePartner request = bodies.read(exchange, CreatePartner.class);
        if (request.name() == null || !request.name().matches("[A-Za-z0-9][A-Za-z0-9 ._-]{1,63}")) {
            throw ApiProblem.invalid("name", "2 to 64 letters, digits, spaces, dots, dashes or underscores");
        }
        if (partners.findByName(request.name()).isPresent()) {
            throw ApiProblem.conflict("partner_exists", "a partner named '" + request.name() + "' exists");
        }
        Partners.Partner partner = partners.create(request.name());
        bodies.respond(exchange, 201, Map.of("partner", partner, "api_key", partners.issueKey(partner.id())));
    }

    private void revoke(Exchange exchange) {
        Partners.Partner partner = partner(exchange);
        UUID keyId = ApiProblem.pathId(exchange, "keyId", "keyId");
        if (!partners.revokeKey(partner.id(), keyId)) {
            throw ApiProblem.notFound("active key " + keyId);
        }
        bodies.noContent(exchange);
    }

    private void deposit(Exchange exchange) {
        Partners.Partner partner = partner(exchange);
        Deposit deposit = bodies.read(exchange, Deposit.class);
        CurrencyCode currency = CurrencyCode.parse(deposit.currency())
                .orElseThrow(() -> ApiProblem.invalid("currency", "one of USD, BRL, MXN, USDC"));
        if (deposit.amount() == null || deposit.amount().signum() <= 0) {
            throw ApiProblem.invalid("amount", "a positive amount is required");
        }
        if (deposit.reference() == null || deposit.reference().isBlank() || deposit.reference().length() > 128) {
            throw ApiProblem.invalid("reference", "a reference of 1 to 128 characters is required (it makes the "
                    + "deposit idempotent)");
        }
        long minor;
        try {
            minor = currency.toMinor(deposit.amount());
        } catch (IllegalArgumentException e) {
            throw ApiProblem.invalid("amount", e.getMessage());
        }
        AccountKey available = AccountKey.partner(partner.id().toString(), currency, AccountKind.AVAILABLE);
        Posted posted = ledger.post(EntryRequest.move("deposit", partner.id() + ":" + deposit.reference(),
                AccountKey.house(currency, AccountKind.FUNDING), available, minor));
        bodies.respond(exchange, posted.created() ? 201 : 200, Map.of("entry_id", posted.entryId(),
                "currency", currency, "available", currency.fromMinor(ledger.balance(available)).toPlainString()));
    }

    private Partners.Partner partner(Exchange exchange) {
        UUID id = ApiProblem.pathId(exchange, "partnerId", "partnerId");
        return partners.find(id).orElseThrow(() -> ApiProblem.notFound("partner " + id));
    }
}
