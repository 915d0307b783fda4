package io.railyard.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import org.springframework.jdbc.core.simple.JdbcClient;

/** The ledger's invariants, checked on the whole database: reusable by every suite after every scenario. */
public final class LedgerInvariants {

    private LedgerInvariants() {
    }

    public static void assertHold(JdbcClient jdbc) {
        assertThat(jdbc.sql("""
                select count(*) from (select entry_id, currency from postings
                group by entry_id, currency having sum(amount_minor) <> 0) unbalanced""")
                .query(Long.class).single()).as("journal entries that do not sum to zero per currency").isZero();
        assertThat(jdbc.sql("""
                select count(*) from ledger_accounts a
                where a.balance_minor <> coalesce((select sum(amount_minor) from postings p where p.account_id = a.id), 0)""")
                .query(Long.class).single()).as("accounts whose balance differs from the sum of their postings").isZero();
        assertThat(jdbc.sql("select count(*) from ledger_accounts where not allow_negative and balance_minor < 0")
                .query(Long.class).single()).as("protected accounts below zero").isZero();
        assertThat(jdbc.sql("select count(*) from postings p join ledger_accounts a on a.id = p.account_id "
                + "where p.currency <> a.currency").query(Long.class).single())
                .as("postings in another currency than their account").isZero();
        assertThat(jdbc.sql("select count(*) from postings p join journal_entries e on e.id = p.entry_id "
                + "where p.created_at <> e.created_at").query(Long.class).single())
                .as("postings not dated by their entry (balances at a time sum postings by their date)").isZero();
    }
}
