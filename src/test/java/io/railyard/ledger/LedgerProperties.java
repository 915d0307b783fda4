package io.railyard.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import io.railyard.HubTest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.springframework.context.ApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.TestContextManager;

/**
 * Property: whatever sequence of postings is attempted (balanced or not, covered or not, in any currency), every
 * committed entry sums to zero per currency, no protected account goes below zero, and each account's balance is what
 * a simple model of the accepted postings predicts. Runs in the same hub as the other tests (Spring's context cache).
 */
class LedgerProperties extends HubTest {

    private static ApplicationContext context;

    @BeforeContainer
    static void startHub() throws Exception {
        context = new TestContextManager(LedgerProperties.class).getTestContext().getApplicationContext();
    }

    record Attempt(int from, int to, CurrencyCode currency, long amount, long skew) {
    }

    @Property(tries = 60)
    void randomPostingsNeverBreakTheLedger(@ForAll("attempts") List<Attempt> attempts) {
        Ledger ledger = context.getBean(Ledger.class);
        String owner = UUID.randomUUID().toString();
        // accounts 0-1 are protected (partner money), 2 is a funding account that may go negative
        Map<String, Long> model = new HashMap<>();
        for (Attempt attempt : attempts) {
            AccountKey from = account(owner, attempt.from(), attempt.currency());
            AccountKey to = account(owner, attempt.to(), attempt.currency());
            EntryRequest entry = EntryRequest.builder("prop", UUID.randomUUID().toString())
                    .leg(from, -attempt.amount()).leg(to, attempt.amount() + attempt.skew()).build();
            boolean balanced = attempt.skew() == 0;
            long fromAfter = model.getOrDefault(from.toString(), 0L) - attempt.amount();
            boolean covered = from.kind().negativeAllowed() || fromAfter >= 0;
            try {
                ledger.post(entry);
                assertThat(balanced && covered).as("the ledger accepted %s", attempt).isTrue();
                model.merge(from.toString(), -attempt.amount(), Long::sum);
                model.merge(to.toString(), attempt.amount(), Long::sum);
            } catch (LedgerException refused) {
                assertThat(balanced && covered).as("the ledger refused %s: %s", attempt, refused.getMessage()).isFalse();
            }
        }
        for (int i = 0; i < 3; i++) {
            for (CurrencyCode currency : CurrencyCode.values()) {
                AccountKey key = account(owner, i, currency);
                assertThat(ledger.balance(key)).as(key.toString()).isEqualTo(model.getOrDefault(key.toString(), 0L));
            }
        }
        LedgerInvariants.assertHold(context.getBean(JdbcClient.class));
    }

    @Provide
    Arbitrary<List<Attempt>> attempts() {
        Arbitrary<Attempt> attempt = Combinators.combine(Arbitraries.integers().between(0, 2),
                Arbitraries.integers().between(0, 2), Arbitraries.of(CurrencyCode.class),
                Arbitraries.longs().between(1, 10_000), Arbitraries.frequencyOf(Tuple.of(4, Arbitraries.just(0L)),
                        Tuple.of(1, Arbitraries.longs().between(-2, 2))))
                .as(Attempt::new).filter(a -> a.from() != a.to());
        return attempt.list().ofMinSize(1).ofMaxSize(25);
    }

    private static AccountKey account(String owner, int index, CurrencyCode currency) {
        List<AccountKey> accounts = new ArrayList<>(List.of(
                AccountKey.partner(owner, currency, AccountKind.AVAILABLE),
                AccountKey.partner(owner, currency, AccountKind.IN_FLIGHT),
                new AccountKey(OwnerType.HOUSE, "funding-" + owner, currency, AccountKind.FUNDING)));
        return accounts.get(index);
    }
}
