package io.railyard.ledger;

import io.railyard.id.RowIds;
import io.railyard.outbox.AtCommit;
import java.math.BigDecimal;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.UUID;
import java.util.stream.Collectors;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.PreparedStatementCallback;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The double-entry ledger. Every entry balances per currency, protected accounts never go negative, history is
 * append-only. Account rows are locked in id order, so concurrent postings on the same accounts queue instead of
 * deadlocking, and balances are kept in the same transaction as the postings they sum.
 *
 * <p>An entry's postings and the balances they move are checked when it is posted, under the accounts' locks, and
 * written with the transaction's last writes ({@link AtCommit}): nothing reads them back before the commit but the
 * ledger itself, which sends them first.
 */
@Service
public class Ledger {

    private static final String ENTER_AND_LOCK = """
            insert into journal_entries (id, kind, reference, description)
            select * from unnest(?::uuid[], ?::text[], ?::text[], ?::text[])
            on conflict (kind, reference) do nothing returning id, created_at;
            select id, balance_minor, allow_negative from ledger_accounts where id = any(?) order by id for update""";
    // A posting is dated by its entry (balanceAt sums postings by time), as the entry's insert returned it: joining
    // journal_entries instead cost a scan of the whole journal per posting once the statement's cached generic plan
    // chose a hash join.
    private static final String POST_AND_MOVE = """
            with posted as (
                insert into postings (entry_id, account_id, currency, amount_minor, created_at)
                select * from unnest(?::uuid[], ?::uuid[], ?::text[], ?::bigint[], ?::timestamptz[]))
            update ledger_accounts a set balance_minor = a.balance_minor + d.delta
            from unnest(?::uuid[], ?::bigint[]) as d(id, delta) where a.id = d.id""";

    private final JdbcClient jdbc;
    private final JdbcTemplate jdbcTemplate;
    private final AtCommit atCommit;
    private final TransactionTemplate createAccounts;
    /** Accounts known to exist (committed): their identity never changes, so this cache is never stale. */
    private final Map<AccountKey, UUID> known = new ConcurrentHashMap<>();

    public Ledger(JdbcClient jdbc, JdbcTemplate jdbcTemplate, AtCommit atCommit,
            PlatformTransactionManager transactions) {
        this.jdbc = jdbc;
        this.jdbcTemplate = jdbcTemplate;
        this.atCommit = atCommit;
        this.createAccounts = new TransactionTemplate(transactions);
        this.createAccounts.setPropagationBehavior(TransactionDefinition.PROPAGATION_REQUIRES_NEW);
    }

    /**
     * Posts an entry, joining the caller's transaction if there is one (so a state change, its ledger effect and its
     * outbox event commit together). Posting an already posted {@code kind}+{@code reference} changes nothing.
     */
    @Transactional
    public Posted post(EntryRequest request) {
        return postAll(List.of(request)).get(0);
    }

    /**
     * Posts entries together, in a fixed number of statements whatever their count (a batch's holds), with the same
     * guarantees as one by one in this order: each is checked against the balances the earlier ones left, and one
     * that would overdraw a protected account fails them all.
     */
    @Transactional
    public List<Posted> postAll(List<EntryRequest> requests) {
        readOwnWrites(); // the balances are checked as the transaction's earlier postings left them
        List<SortedMap<AccountKey, Long>> changes = requests.stream().map(Ledger::validate).toList();
        UUID[] ids = requests.stream().map(r -> RowIds.next()).toArray(UUID[]::new);
        Set<AccountKey> touched = new TreeSet<>();
        changes.forEach(change -> touched.addAll(change.keySet()));
        Map<UUID, String> created = new HashMap<>();
        Map<AccountKey, LockedAccount> accounts = enterAndLock(requests, ids, ensureExist(touched), created);
        Map<AccountKey, Long> balances = new TreeMap<>();
        accounts.forEach((key, account) -> balances.put(key, account.balanceMinor()));
        List<UUID> entryIds = new ArrayList<>();
        List<UUID> accountIds = new ArrayList<>();
        List<String> currencies = new ArrayList<>();
        List<Long> amounts = new ArrayList<>();
        List<String> postedAt = new ArrayList<>();
        List<Posted> posted = new ArrayList<>();
        for (int i = 0; i < requests.size(); i++) {
            if (!created.containsKey(ids[i])) {
                posted.add(new Posted(existingEntry(requests.get(i).kind(), requests.get(i).reference()), false));
                continue;
            }
            for (Map.Entry<AccountKey, Long> change : changes.get(i).entrySet()) {
                long before = balances.get(change.getKey());
                if (!accounts.get(change.getKey()).negativeAllowed() && before + change.getValue() < 0) {
                    throw new LedgerException.InsufficientFunds(change.getKey(), before, change.getValue());
                }
                balances.put(change.getKey(), before + change.getValue());
            }
            for (Leg leg : requests.get(i).legs()) {
                entryIds.add(ids[i]);
                accountIds.add(accounts.get(leg.account()).id());
                currencies.add(leg.account().currency().name());
                amounts.add(leg.amountMinor());
                postedAt.add(created.get(ids[i]));
            }
            posted.add(new Posted(ids[i], true));
        }
        List<AccountKey> moved = balances.keySet().stream()
                .filter(key -> balances.get(key) != accounts.get(key).balanceMinor()).toList();
        if (entryIds.isEmpty()) {
            return posted; // every entry was posted before: nothing moves
        }
        List<Object> params = List.of(entryIds.toArray(UUID[]::new), accountIds.toArray(UUID[]::new),
                currencies.toArray(String[]::new), amounts.toArray(Long[]::new), postedAt.toArray(String[]::new),
                moved.stream().map(key -> accounts.get(key).id()).toArray(UUID[]::new),
                moved.stream().map(key -> balances.get(key) - accounts.get(key).balanceMinor()).toArray(Long[]::new));
        atCommit.add(new UnsentPostings(new AtCommit.Statement(POST_AND_MOVE, params)));
        return posted;
    }

    /** The current balance, in minor units; an account never posted to holds zero. */
    public long balance(AccountKey key) {
        readOwnWrites();
        return jdbc.sql("""
                select balance_minor from ledger_accounts
                where owner_type = ? and owner_id = ? and currency = ? and kind = ?""")
                .params(key.ownerType().name(), key.ownerId(), key.currency().name(), key.kind().name())
                .query(Long.class).optional().orElse(0L);
    }

    /** The balance as it stood at {@code at}: the sum of the account's postings made until then. */
    public long balanceAt(AccountKey key, Instant at) {
        readOwnWrites();
        return jdbc.sql("""
                select coalesce(sum(p.amount_minor), 0) from postings p
                join ledger_accounts a on a.id = p.account_id
                where a.owner_type = ? and a.owner_id = ? and a.currency = ? and a.kind = ? and p.created_at <= ?""")
                .params(key.ownerType().name(), key.ownerId(), key.currency().name(), key.kind().name(),
                        Timestamp.from(at))
                .query(Long.class).single();
    }

    /** Every account of one owner with its balance (accounts never posted to are absent). */
    public List<AccountBalance> balances(OwnerType ownerType, String ownerId) {
        readOwnWrites();
        return jdbc.sql("""
                select id, owner_type, owner_id, currency, kind, balance_minor from ledger_accounts
                where owner_type = ? and owner_id = ? order by currency, kind""")
                .params(ownerType.name(), ownerId)
                .query((rs, n) -> new AccountBalance(rs.getObject("id", UUID.class), accountKey(rs),
                        rs.getLong("balance_minor")))
                .list();
    }

    /** Every account of one owner type (all rails, all partners) with its current balance. */
    public List<AccountBalance> balances(OwnerType ownerType) {
        readOwnWrites();
        return jdbc.sql("""
                select id, owner_type, owner_id, currency, kind, balance_minor from ledger_accounts
                where owner_type = ? order by owner_id, currency, kind""")
                .param(ownerType.name())
                .query((rs, n) -> new AccountBalance(rs.getObject("id", UUID.class), accountKey(rs),
                        rs.getLong("balance_minor")))
                .list();
    }

    /** Every account of one owner type with its balance as it stood at {@code at} (the sum of postings until then). */
    public List<AccountBalance> balancesAt(OwnerType ownerType, Instant at) {
        readOwnWrites();
        return jdbc.sql("""
                select a.id, a.owner_type, a.owner_id, a.currency, a.kind,
                    coalesce((select sum(p.amount_minor) from postings p
                              where p.account_id = a.id and p.created_at <= ?), 0) as balance_minor
                from ledger_accounts a where a.owner_type = ? and a.created_at <= ? order by owner_id, currency, kind""")
                .params(Timestamp.from(at), ownerType.name(), Timestamp.from(at))
                .query((rs, n) -> new AccountBalance(rs.getObject("id", UUID.class), accountKey(rs),
                        rs.getLong("balance_minor")))
                .list();
    }

    private static SortedMap<AccountKey, Long> validate(EntryRequest request) {
        if (request.legs().size() < 2) {
            throw new LedgerException("invalid_entry", "an entry needs at least two legs");
        }
        if (request.legs().stream().anyMatch(leg -> leg.amountMinor() == 0)) {
            throw new LedgerException("invalid_entry", "a leg of zero moves nothing");
        }
        Map<CurrencyCode, Long> sums = request.legs().stream().collect(Collectors.groupingBy(
                leg -> leg.account().currency(), Collectors.reducing(0L, Leg::amountMinor, Math::addExact)));
        sums.forEach((currency, sum) -> {
            if (sum != 0) {
                throw new LedgerException("unbalanced_entry", "entry " + request.kind() + "/" + request.reference()
                        + " does not balance in " + currency + ": off by " + currency.fromMinor(sum));
            }
        });
        SortedMap<AccountKey, Long> changes = new TreeMap<>();
        request.legs().forEach(leg -> changes.merge(leg.account(), leg.amountMinor(), Math::addExact));
        return changes;
    }

    /**
     * Inserts the entries not posted before (their ids into {@code created}, with when they were entered, as
     * PostgreSQL writes a timestamptz: to date their postings exactly) and locks every account they may move, in
     * id order: every transaction takes its locks in one order, so none waits in a cycle. Two statements in one round
     * trip; an entry found posted before has its accounts locked too, harmlessly, as they are known before the insert
     * answers.
     */
    private Map<AccountKey, LockedAccount> enterAndLock(List<EntryRequest> requests, UUID[] ids,
            Map<AccountKey, UUID> accountIds, Map<UUID, String> created) {
        Map<UUID, AccountKey> byId = new HashMap<>();
        accountIds.forEach((key, id) -> byId.put(id, key));
        return jdbcTemplate.execute(ENTER_AND_LOCK, (PreparedStatementCallback<Map<AccountKey, LockedAccount>>) sql -> {
            sql.setObject(1, ids);
            sql.setObject(2, requests.stream().map(EntryRequest::kind).toArray(String[]::new));
            sql.setObject(3, requests.stream().map(EntryRequest::reference).toArray(String[]::new));
            sql.setObject(4, requests.stream().map(EntryRequest::description).toArray(String[]::new));
            sql.setObject(5, byId.keySet().toArray(UUID[]::new));
            sql.execute();
            try (ResultSet entries = sql.getResultSet()) {
                while (entries.next()) {
                    created.put(entries.getObject(1, UUID.class), entries.getString(2));
                }
            }
            sql.getMoreResults();
            Map<AccountKey, LockedAccount> locked = new HashMap<>();
            try (ResultSet rs = sql.getResultSet()) {
                while (rs.next()) {
                    UUID id = rs.getObject("id", UUID.class);
                    locked.put(byId.get(id), new LockedAccount(id, rs.getLong("balance_minor"),
                            rs.getBoolean("allow_negative")));
                }
            }
            return locked;
        });
    }

    /**
     * The ids of the accounts, creating missing ones first in a transaction of their own. An empty account is a
     * harmless fact; creating it inside the posting's transaction would let a concurrent posting wait on an
     * uncommitted insert while holding row locks: a deadlock the lock order cannot prevent.
     */
    private Map<AccountKey, UUID> ensureExist(Set<AccountKey> keys) {
        Map<AccountKey, UUID> ids = new HashMap<>();
        List<AccountKey> unknown = new ArrayList<>();
        for (AccountKey key : keys) {
            UUID id = known.get(key);
            if (id == null) {
                unknown.add(key);
            } else {
                ids.put(key, id);
            }
        }
        if (!unknown.isEmpty()) {
            Map<AccountKey, UUID> found = select(unknown);
            if (found.size() < unknown.size()) {
                found = createAccounts.execute(status -> {
                    for (AccountKey key : new TreeSet<>(unknown)) {
                        jdbc.sql("""
                                insert into ledger_accounts (id, owner_type, owner_id, currency, kind, allow_negative)
                                values (?, ?, ?, ?, ?, ?) on conflict do nothing""")
                                .params(UUID.randomUUID(), key.ownerType().name(), key.ownerId(),
                                        key.currency().name(), key.kind().name(), key.kind().negativeAllowed())
                                .update();
                    }
                    return select(unknown);
                });
            }
            known.putAll(found);
            ids.putAll(found);
        }
        return ids;
    }

    private Map<AccountKey, UUID> select(List<AccountKey> keys) {
        StringBuilder sql = new StringBuilder("select id, owner_type, owner_id, currency, kind from ledger_accounts "
                + "where (owner_type, owner_id, currency, kind) in (");
        List<Object> params = new ArrayList<>();
        for (AccountKey key : keys) {
            sql.append(params.isEmpty() ? "" : ", ").append("(?, ?, ?, ?)");
            params.addAll(List.of(key.ownerType().name(), key.ownerId(), key.currency().name(), key.kind().name()));
        }
        Map<AccountKey, UUID> found = new HashMap<>();
        jdbc.sql(sql.append(")").toString()).params(params)
                .query(rs -> {
                    found.put(accountKey(rs), rs.getObject("id", UUID.class));
                });
        return found;
    }

    private static AccountKey accountKey(ResultSet rs) throws SQLException {
        return new AccountKey(OwnerType.valueOf(rs.getString("owner_type")), rs.getString("owner_id"),
                CurrencyCode.valueOf(rs.getString("currency")), AccountKind.valueOf(rs.getString("kind")));
    }

    /** Sends the current transaction's postings not sent yet, if any, so that what follows reads them. */
    private void readOwnWrites() {
        atCommit.sendEarly(UnsentPostings.class);
    }

    private UUID existingEntry(String kind, String reference) {
        return jdbc.sql("select id from journal_entries where kind = ? and reference = ?")
                .params(kind, reference).query(UUID.class).single();
    }

    /** An entry's postings and the balances they move, checked and waiting for the transaction's last writes. */
    private record UnsentPostings(AtCommit.Statement statement) implements AtCommit.Part {
    }

    private record LockedAccount(UUID id, long balanceMinor, boolean negativeAllowed) {
    }

    public record AccountBalance(UUID id, AccountKey key, long balanceMinor) {
        public BigDecimal balance() {
            return key.currency().fromMinor(balanceMinor);
        }
    }
}
