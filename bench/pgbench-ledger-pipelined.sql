-- The same transaction as bench/pgbench-ledger.sql (same statements, same rows, same locks, same order), sent in the
-- same 5 round trips as pgjdbc sends Ledger.post inside a Spring transaction:
--   1. BEGIN + insert journal entry   (pgjdbc sends BEGIN with the transaction's first statement)
--   2. select ... order by id for update
--   3. insert 2 postings              (JdbcTemplate.batchUpdate: one pipelined batch)
--   4. update 2 balances              (JdbcTemplate.batchUpdate: one pipelined batch)
--   5. COMMIT
-- pgbench cannot \gset inside a pipeline, so the values the next statements need (entry id, posted_at, account ids)
-- are kept server-side in transaction-local settings (set_config(..., true)) instead of client variables.
-- Needs -M prepared (or extended) for pipeline mode; -D npartners=N as in bench/pgbench-ledger.sql.
\set p random(1, :npartners)
\startpipeline
BEGIN;
INSERT INTO journal_entries (id, kind, reference, description)
    VALUES (gen_random_uuid(), 'transfer.hold', gen_random_uuid()::text, NULL)
    ON CONFLICT (kind, reference) DO NOTHING
    RETURNING set_config('bench.entry_id', id::text, true) AS entry_id,
              set_config('bench.posted_at', created_at::text, true) AS posted_at;
\endpipeline
WITH locked AS (
    SELECT id, owner_type, owner_id, currency, kind, balance_minor, allow_negative FROM ledger_accounts
    WHERE (owner_type, owner_id, currency, kind) IN (('PARTNER', 'bench-partner-' || :p, 'USD', 'AVAILABLE'),
                                                     ('PARTNER', 'bench-partner-' || :p, 'USD', 'IN_FLIGHT'))
    ORDER BY id FOR UPDATE)
SELECT set_config('bench.available_id', ((array_agg(id) FILTER (WHERE kind = 'AVAILABLE'))[1])::text, true),
       set_config('bench.in_flight_id', ((array_agg(id) FILTER (WHERE kind = 'IN_FLIGHT'))[1])::text, true),
       bool_and(allow_negative OR balance_minor + CASE kind WHEN 'AVAILABLE' THEN -100 ELSE 100 END >= 0) AS funds_ok
FROM locked;
\startpipeline
INSERT INTO postings (entry_id, account_id, currency, amount_minor, created_at)
    VALUES (current_setting('bench.entry_id')::uuid, current_setting('bench.available_id')::uuid, 'USD', -100,
            current_setting('bench.posted_at')::timestamptz);
INSERT INTO postings (entry_id, account_id, currency, amount_minor, created_at)
    VALUES (current_setting('bench.entry_id')::uuid, current_setting('bench.in_flight_id')::uuid, 'USD', 100,
            current_setting('bench.posted_at')::timestamptz);
\endpipeline
\startpipeline
UPDATE ledger_accounts SET balance_minor = balance_minor + -100 WHERE id = current_setting('bench.available_id')::uuid;
UPDATE ledger_accounts SET balance_minor = balance_minor + 100 WHERE id = current_setting('bench.in_flight_id')::uuid;
\endpipeline
COMMIT;
