-- pgbench transaction with the shape of Ledger.post for one transfer hold
-- (EntryRequest.move("transfer.hold", <random ref>, partner AVAILABLE, partner IN_FLIGHT, 100)), statement by statement:
--   1. insert the journal entry (on conflict do nothing returning created_at),
--   2. lock both accounts, selected by natural key, in id order (select ... order by id for update),
--   3. insert the 2 postings (Ledger: one JDBC batch),
--   4. add to the 2 balances (Ledger: one JDBC batch), in AccountKey order: AVAILABLE, then IN_FLIGHT,
--   5. commit (the deferred postings_balanced trigger runs here, once per posting, as in the app).
-- Needs -M prepared (or extended): :variables are bound as parameters. -D npartners=N picks a random partner of N
-- (bench/pgbench-seed.sql creates them); -D npartners=1 makes every client hold on the same partner (contended).
\set p random(1, :npartners)
BEGIN;
INSERT INTO journal_entries (id, kind, reference, description)
    VALUES (gen_random_uuid(), 'transfer.hold', gen_random_uuid()::text, NULL)
    ON CONFLICT (kind, reference) DO NOTHING RETURNING id AS entry_id, created_at AS posted_at
\gset
WITH locked AS (
    SELECT id, owner_type, owner_id, currency, kind, balance_minor, allow_negative FROM ledger_accounts
    WHERE (owner_type, owner_id, currency, kind) IN (('PARTNER', 'bench-partner-' || :p, 'USD', 'AVAILABLE'),
                                                     ('PARTNER', 'bench-partner-' || :p, 'USD', 'IN_FLIGHT'))
    ORDER BY id FOR UPDATE)
SELECT (array_agg(id) FILTER (WHERE kind = 'AVAILABLE'))[1] AS available_id,
       (array_agg(id) FILTER (WHERE kind = 'IN_FLIGHT'))[1] AS in_flight_id,
       bool_and(allow_negative OR balance_minor + CASE kind WHEN 'AVAILABLE' THEN -100 ELSE 100 END >= 0) AS funds_ok
FROM locked
\gset
INSERT INTO postings (entry_id, account_id, currency, amount_minor, created_at) VALUES (:entry_id, :available_id, 'USD', -100, :posted_at);
INSERT INTO postings (entry_id, account_id, currency, amount_minor, created_at) VALUES (:entry_id, :in_flight_id, 'USD', 100, :posted_at);
UPDATE ledger_accounts SET balance_minor = balance_minor + -100 WHERE id = :available_id;
UPDATE ledger_accounts SET balance_minor = balance_minor + 100 WHERE id = :in_flight_id;
COMMIT;
