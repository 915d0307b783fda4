package io.railyard.ledger;

import io.railyard.api.ApiProblem;
import io.railyard.api.JsonBodies;
import io.railyard.partner.PartnerPrincipal;
import io.railyard.partner.Tenancy;
import java.util.List;
import java.util.Map;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.springframework.stereotype.Component;

/** Partner API: the partner's own ledger accounts and balances. Another partner's account is simply not found. */
@Component
class BalanceRoutes extends RouteBuilder {

    private final Ledger ledger;
    private final JsonBodies bodies;

    BalanceRoutes(Ledger ledger, JsonBodies bodies) {
        this.ledger = ledger;
        this.bodies = bodies;
    }

    record AccountView(String id, String currency, String kind, String balance) {
        static AccountView of(Ledger.AccountBalance account) {
            return new AccountView(account.id().toString(), account.key().currency().name(),
                    account.key().kind().name(), account.balance().toPlainString());
        }
    }

    @Override
    public void configure() {
        rest("/accounts").description("Partner: ledger accounts and balances")
                .get().id("ledger.accounts.list").description("The calling partner's accounts with balances")
                    .to("direct:ledger.accounts.list")
                .get("/{accountId}").id("ledger.accounts.get").description("One of the calling partner's accounts")
                    .to("direct:ledger.accounts.get");

        from("direct:ledger.accounts.list").routeId("ledger.accounts.list.handle").routeConfigurationId("api-errors")
                .process(exchange -> bodies.respond(exchange, 200, Map.of("data", accounts(exchange))));
        from("direct:ledger.accounts.get").routeId("ledger.accounts.get.handle").routeConfigurationId("api-errors")
                .process(exchange -> {
                    String id = exchange.getIn().getHeader("accountId", String.class);
                    AccountView account = accounts(exchange).stream().filter(a -> a.id().equals(id)).findFirst()
                            .orElseThrow(() -> ApiProblem.notFound("account " + id));
                    bodies.respond(exchange, 200, account);
                });
    }

    private List<AccountView> accounts(Exchange exchange) {
        PartnerPrincipal partner = Tenancy.partnerOf(exchange);
        return ledger.balances(OwnerType.PARTNER, partner.partnerId().toString()).stream().map(AccountView::of).toList();
    }
}
