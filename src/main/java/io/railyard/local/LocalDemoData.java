package io.railyard.local;

import io.railyard.ledger.AccountKey;
import io.railyard.ledger.AccountKind;
import io.railyard.ledger.CurrencyCode;
import io.railyard.ledger.EntryRequest;
import io.railyard.ledger.Ledger;
import io.railyard.ops.OpsUsers;
import io.railyard.partner.Partners;
import java.math.BigDecimal;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.annotation.Profile;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * The local profile only: a demo partner with a well-known key and some funds, and an ops user, so a newcomer can call
 * the API at once. Never active in production (the {@code local} profile is what {@code mvn spring-boot:run} uses).
 */
@Component
@Profile("local")
class LocalDemoData {

    private static final Logger log = LoggerFactory.getLogger(LocalDemoData.class);
    private static final Map<CurrencyCode, BigDecimal> OPENING_FUNDS = Map.of(CurrencyCode.USD, new BigDecimal("1000000"),
            CurrencyCode.BRL, new BigDecimal("500000"), CurrencyCode.MXN, new BigDecimal("2000000"),
            CurrencyCode.USDC, new BigDecimal("1000000"));

    private final Partners partners;
    private final OpsUsers opsUsers;
    private final Ledger ledger;
    private final String partnerKey;
    private final String opsUser;
    private final String opsPassword;

    LocalDemoData(Partners partners, OpsUsers opsUsers, Ledger ledger,
            @Value("${railyard.local.demo-partner-key}") String partnerKey,
            @Value("${railyard.local.ops-user}") String opsUser,
            @Value("${railyard.local.ops-password}") String opsPassword) {
        this.partners = partners;
        this.opsUsers = opsUsers;
        this.ledger = ledger;
        this.partnerKey = partnerKey;
        this.opsUser = opsUser;
        this.opsPassword = opsPassword;
    }

    @EventListener(ApplicationReadyEvent.class)
    void seed() {
        opsUsers.save(opsUser, opsPassword);
        Partners.Partner demo = partners.findByName("demo").orElseGet(() -> partners.create("demo"));
        if (!partners.hasKey(partnerKey)) {
            partners.storeKey(demo.id(), partnerKey);
        }
        OPENING_FUNDS.forEach((currency, amount) -> ledger.post(EntryRequest.move("deposit", "demo-opening-" + currency,
                AccountKey.house(currency, AccountKind.FUNDING),
                AccountKey.partner(demo.id().toString(), currency, AccountKind.AVAILABLE), currency.toMinor(amount))));
        log.info("""

                ===== Local demo credentials (profile 'local' only) =====
                  Demo partner key   {}   (curl -H 'Authorization: Bearer {}' ...)
                  Ops user           {} / {}
                =========================================================""", partnerKey, partnerKey, opsUser, opsPassword);
    }
}
