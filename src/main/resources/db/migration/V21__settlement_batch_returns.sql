-- Late returns of settled batches: a batch of a rail that can return a payout is watched (sent again, a status read)
-- until return_watch_until, at next_attempt_at; a line keeps the part of it the rail returned so far, and a part of a
-- netted line (unattributable to its transfers) is left for review.
alter table settlement_batches add column return_watch_until timestamptz;
create index settlement_batches_return_watch on settlement_batches (next_attempt_at) where return_watch_until is not null;
alter table settlement_batch_lines add column returned_minor bigint check (returned_minor > 0);
alter table settlement_batch_lines add column needs_review boolean not null default false;
