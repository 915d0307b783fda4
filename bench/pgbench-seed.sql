-- Seeds the pgbench ledger database (after the project's V1 migration): :npartners partners, each with a funded
-- AVAILABLE account and an IN_FLIGHT account, funded the way Ledger.post would (a balanced "deposit" entry from the
-- house FUNDING account), so that balance_minor = sum(postings) holds from the start.
-- Usage: psql -v ON_ERROR_STOP=1 -v npartners=1000 -d railyard_pgbench -f bench/pgbench-seed.sql
\set funding 1000000000000000

insert into ledger_accounts (id, owner_type, owner_id, currency, kind, allow_negative)
values (gen_random_uuid(), 'HOUSE', 'house', 'USD', 'FUNDING', true);

insert into ledger_accounts (id, owner_type, owner_id, currency, kind, allow_negative)
select gen_random_uuid(), 'PARTNER', 'bench-partner-' || p, 'USD', k, false
from generate_series(1, :npartners) p, unnest(array['AVAILABLE', 'IN_FLIGHT']) k;

begin;
create temporary table funding on commit drop as
select p, gen_random_uuid() as entry_id from generate_series(1, :npartners) p;

insert into journal_entries (id, kind, reference)
select entry_id, 'deposit', 'fund-bench-partner-' || p from funding;

insert into postings (entry_id, account_id, currency, amount_minor, created_at)
select f.entry_id, a.id, 'USD', -:funding, now()
from funding f, ledger_accounts a where a.owner_type = 'HOUSE' and a.kind = 'FUNDING'
union all
select f.entry_id, a.id, 'USD', :funding, now()
from funding f join ledger_accounts a
  on a.owner_type = 'PARTNER' and a.owner_id = 'bench-partner-' || f.p and a.currency = 'USD' and a.kind = 'AVAILABLE';

update ledger_accounts a set balance_minor = s.total
from (select account_id, sum(amount_minor) as total from postings group by account_id) s
where s.account_id = a.id;
commit;
