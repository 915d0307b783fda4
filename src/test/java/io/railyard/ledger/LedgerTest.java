package io.railyard.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.railyard.HubTest;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.UncategorizedSQLException;
import org.springframework.transaction.support.TransactionTemplate;

class LedgerTest extends HubTest {

    @Autowired
    TransactionTemplate transactions;

    @Test
    void aBalancedEntryMovesMoneyAndKeepsBalancesEqualToPostings() {
        TestPartner partner = newPartner("100.00 USD");
        AccountKey available = partner.account(CurrencyCode.USD, AccountKind.AVAILABLE);
        AccountKey held = partner.account(CurrencyCode.USD, AccountKind.IN_FLIGHT);

        Posted posted = ledger.post(EntryRequest.move("transfer.hold", UUID.randomUUID().toString(), available, held, 2550));

        assertThat(posted.created()).isTrue();
        assertThat(ledger.balance(available)).isEqualTo(7450);
        assertThat(ledger.balance(held)).isEqualTo(2550);
        LedgerInvariants.assertHold(jdbc);
    }

    @Test
    void anUnbalancedEntryIsRefusedAndWritesNothing() {
        TestPartner partner = newPartner("10 USD");
        String reference = UUID.randomUUID().toString();
        EntryRequest unbalanced = EntryRequest.builder("transfer.hold", reference)
                .leg(partner.account(CurrencyCode.USD, AccountKind.AVAILABLE), -500)
                .leg(partner.account(CurrencyCode.USD, AccountKind.IN_FLIGHT), 400).build();

        assertThatThrownBy(() -> ledger.post(unbalanced)).isInstanceOf(LedgerException.class)
                .extracting(e -> ((LedgerException) e).code()).isEqualTo("unbalanced_entry");
        assertThat(entries(reference)).isZero();
    }

    @Test
    void legsMustBalanceInEachCurrencyNotJustInTotal() {
        TestPartner partner = newPartner("10 USD", "10 BRL");
        EntryRequest crossCurrency = EntryRequest.builder("fx", UUID.randomUUID().toString())
                .leg(partner.account(CurrencyCode.USD, AccountKind.AVAILABLE), -500)
                .leg(partner.account(CurrencyCode.BRL, AccountKind.AVAILABLE), 500).build();

        assertThatThrownBy(() -> ledger.post(crossCurrency)).hasMessageContaining("does not balance in");
    }

    @Test
    void anOverdraftOfAProtectedAccountIsRefusedAndWritesNothing() {
        TestPartner partner = newPartner("5.00 MXN");
        AccountKey available = partner.account(CurrencyCode.MXN, AccountKind.AVAILABLE);
        String reference = UUID.randomUUID().toString();

        assertThatThrownBy(() -> ledger.post(EntryRequest.move("transfer.hold", reference, available,
                partner.account(CurrencyCode.MXN, AccountKind.IN_FLIGHT), 501)))
                .isInstanceOf(LedgerException.InsufficientFunds.class);
        assertThat(ledger.balance(available)).isEqualTo(500);
        assertThat(entries(reference)).isZero();
    }

    @Test
    void postingTheSameBusinessEventTwiceMovesMoneyOnce() {
        TestPartner partner = newPartner("1 USDC");
        AccountKey available = partner.account(CurrencyCode.USDC, AccountKind.AVAILABLE);
        AccountKey held = partner.account(CurrencyCode.USDC, AccountKind.IN_FLIGHT);
        String reference = UUID.randomUUID().toString();

        Posted first = ledger.post(EntryRequest.move("transfer.hold", reference, available, held, 250_000));
        Posted again = ledger.post(EntryRequest.move("transfer.hold", reference, available, held, 250_000));

        assertThat(again.created()).isFalse();
        assertThat(again.entryId()).isEqualTo(first.entryId());
        assertThat(ledger.balance(available)).isEqualTo(750_000);
    }

    @Test
    void entriesPostedTogetherAreEachPostedOnceAndCheckedInOrder() {
        TestPartner partner = newPartner("10.00 USD");
        AccountKey available = partner.account(CurrencyCode.USD, AccountKind.AVAILABLE);
        AccountKey held = partner.account(CurrencyCode.USD, AccountKind.IN_FLIGHT);
        String first = UUID.randomUUID().toString();
        String second = UUID.randomUUID().toString();
        Posted earlier = ledger.post(EntryRequest.move("transfer.hold", first, available, held, 100));

        List<Posted> posted = ledger.postAll(List.of(
                EntryRequest.move("transfer.hold", first, available, held, 100),     // posted before: nothing moves
                EntryRequest.move("transfer.hold", second, available, held, 600),
                EntryRequest.move("transfer.release", second, held, available, 200),
                EntryRequest.move("transfer.hold", second, available, held, 600))); // the same event twice in one call

        assertThat(posted).extracting(Posted::created).containsExactly(false, true, true, false);
        assertThat(posted.get(0).entryId()).isEqualTo(earlier.entryId());
        assertThat(posted.get(3).entryId()).isEqualTo(posted.get(1).entryId());
        assertThat(ledger.balance(available)).isEqualTo(1000 - 100 - 600 + 200);
        assertThat(ledger.balance(held)).isEqualTo(100 + 600 - 200);
        LedgerInvariants.assertHold(jdbc);
    }

    @Test
    void oneOverdraftAmongEntriesPostedTogetherRefusesThemAll() {
        TestPartner partner = newPartner("10.00 USD");
        AccountKey available = partner.account(CurrencyCode.USD, AccountKind.AVAILABLE);
        AccountKey held = partner.account(CurrencyCode.USD, AccountKind.IN_FLIGHT);
        List<String> references = List.of(UUID.randomUUID().toString(), UUID.randomUUID().toString());

        // each fits the balance on its own; the second overdraws what the first leaves
        assertThatThrownBy(() -> ledger.postAll(references.stream()
                .map(reference -> EntryRequest.move("transfer.hold", reference, available, held, 600)).toList()))
                .isInstanceOf(LedgerException.InsufficientFunds.class);
        assertThat(ledger.balance(available)).isEqualTo(1000);
        assertThat(entries(references.get(0)) + entries(references.get(1))).isZero();
        LedgerInvariants.assertHold(jdbc);
    }

    @Test
    void aTransactionSendsItsPostingsWithItsLastWritesAndReadsItsOwnPostingsBeforeThen() {
        TestPartner partner = newPartner("10.00 USD");
        AccountKey available = partner.account(CurrencyCode.USD, AccountKind.AVAILABLE);
        AccountKey held = partner.account(CurrencyCode.USD, AccountKind.IN_FLIGHT);
        String first = UUID.randomUUID().toString();
        String second = UUID.randomUUID().toString();
        String third = UUID.randomUUID().toString();

        transactions.executeWithoutResult(status -> {
            Posted posted = ledger.post(EntryRequest.move("transfer.hold", first, available, held, 600));
            assertThat(postings(posted.entryId())).as("not sent yet").isZero();
            // the ledger's own read sends them first
            assertThat(ledger.balance(available)).isEqualTo(400);
            assertThat(postings(posted.entryId())).isEqualTo(2);
            ledger.post(EntryRequest.move("transfer.release", first, held, available, 100));
            // a posting is checked against the balances the unsent earlier one left
            ledger.post(EntryRequest.move("transfer.hold", second, available, held, 500));
            assertThatThrownBy(() -> ledger.post(EntryRequest.move("transfer.hold", third, available, held, 1)))
                    .isInstanceOf(LedgerException.InsufficientFunds.class);
            status.setRollbackOnly();
        });
        assertThat(ledger.balance(available)).isEqualTo(1000);
        assertThat(entries(first) + entries(second)).isZero();

        transactions.executeWithoutResult(status -> {
            ledger.post(EntryRequest.move("transfer.hold", first, available, held, 600));
            ledger.post(EntryRequest.move("transfer.release", first, held, available, 100));
        });
        assertThat(ledger.balance(available)).isEqualTo(500);
        assertThat(ledger.balance(held)).isEqualTo(500);
        LedgerInvariants.assertHold(jdbc);
    }

    @Test
    void balancesCanBeReadAtAPointInTime() throws Exception {
        TestPartner partner = newPartner("10 BRL");
        AccountKey available = partner.account(CurrencyCode.BRL, AccountKind.AVAILABLE);
        Instant before = jdbc.sql("select clock_timestamp()").query(java.sql.Timestamp.class).single().toInstant();
        fund(partner, CurrencyCode.BRL, new BigDecimal("5"));

        assertThat(ledger.balanceAt(available, before)).isEqualTo(1000);
        assertThat(ledger.balanceAt(available, Instant.now().plusSeconds(1))).isEqualTo(1500);
    }

    @Test
    void historyIsAppendOnlyAndTheDatabaseItselfRefusesAnUnbalancedEntry() {
        TestPartner partner = newPartner("10 USD");
        assertThatThrownBy(() -> jdbc.sql("update postings set amount_minor = amount_minor + 1").update())
                .isInstanceOf(UncategorizedSQLException.class).hasMessageContaining("append-only");
        assertThatThrownBy(() -> jdbc.sql("delete from journal_entries").update())
                .hasMessageContaining("append-only");

        UUID entry = UUID.randomUUID();
        UUID account = ledger.balances(OwnerType.PARTNER, partner.id().toString()).get(0).id();
        assertThatThrownBy(() -> jdbc.sql("""
                with e as (insert into journal_entries (id, kind, reference) values (?, 'raw', ?))
                insert into postings (entry_id, account_id, currency, amount_minor, created_at)
                values (?, ?, 'USD', 1, now())""").params(entry, entry.toString(), entry, account).update())
                .hasMessageContaining("does not balance");
    }

    @Test
    void concurrentPostingsOnTheSameAccountsNeitherDeadlockNorLoseAnUpdate() throws Exception {
        List<TestPartner> owners = List.of(newPartner("1000 USD"), newPartner("1000 USD"), newPartner("1000 USD"));
        List<AccountKey> accounts = new ArrayList<>();
        for (TestPartner owner : owners) {
            accounts.add(owner.account(CurrencyCode.USD, AccountKind.AVAILABLE));
            accounts.add(owner.account(CurrencyCode.USD, AccountKind.IN_FLIGHT));
        }
        AtomicLong refused = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Callable<Void>> work = new ArrayList<>();
        for (int worker = 0; worker < 8; worker++) {
            Random random = new Random(worker);
            work.add(() -> {
                for (int i = 0; i < 150; i++) {
                    AccountKey from = accounts.get(random.nextInt(accounts.size()));
                    AccountKey to = accounts.get(random.nextInt(accounts.size()));
                    if (from.equals(to)) {
                        continue;
                    }
                    // three legs in random order: lock ordering must come from the ledger, not the caller
                    AccountKey third = accounts.get(random.nextInt(accounts.size()));
                    EntryRequest.Builder entry = EntryRequest.builder("shuffle", UUID.randomUUID().toString())
                            .move(from, to, 1 + random.nextInt(5_000));
                    if (!third.equals(from) && !third.equals(to)) {
                        entry.move(to, third, 1);
                    }
                    try {
                        ledger.post(entry.build());
                    } catch (LedgerException.InsufficientFunds e) {
                        refused.incrementAndGet();
                    }
                }
                return null;
            });
        }
        for (Future<Void> done : pool.invokeAll(work, 2, TimeUnit.MINUTES)) {
            done.get(); // a deadlock or lost update surfaces here as an exception
        }
        pool.shutdown();

        long total = accounts.stream().mapToLong(ledger::balance).sum();
        assertThat(total).isEqualTo(3 * 100_000);
        accounts.forEach(account -> assertThat(ledger.balance(account)).isNotNegative());
        LedgerInvariants.assertHold(jdbc);
    }

    private long postings(UUID entryId) {
        return jdbc.sql("select count(*) from postings where entry_id = ?").param(entryId).query(Long.class).single();
    }

    private long entries(String reference) {
        return jdbc.sql("select count(*) from journal_entries where reference = ?").param(reference)
                .query(Long.class).single();
    }
}
