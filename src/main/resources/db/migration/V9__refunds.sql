-- Refunds (asked by the partner) and returns (initiated by the rail) of settled transfers: each is its own row, its own
-- journal entry, and carries the rail's reference so statements can match it.
create table refunds (
    id                        uuid primary key,
    transfer_id               uuid not null references transfers (id),
    partner_id                uuid not null references partners (id),
    kind                      text not null check (kind in ('REFUND', 'RETURN')),
    status                    text not null check (status in ('PENDING', 'SUBMITTED', 'SUCCEEDED', 'FAILED')),
    rail                      text not null,
    currency                  text not null,
    amount_minor              bigint not null check (amount_minor > 0),
    destination_currency      text not null,
    destination_amount_minor  bigint not null check (destination_amount_minor > 0),
    reason                    text,
    rail_reference            text,
    rail_status               text,
    failure_code              text,
    failure_reason            text,
    attempts                  int not null default 0,
    next_attempt_at           timestamptz,
    needs_review              boolean not null default false,
    created_at                timestamptz not null default clock_timestamp(),
    updated_at                timestamptz not null default clock_timestamp(),
    completed_at              timestamptz
);
create index refunds_transfer on refunds (transfer_id, created_at, id);
create index refunds_due on refunds (next_attempt_at) where status in ('PENDING', 'SUBMITTED');
create index refunds_rail_reference on refunds (rail, rail_reference);

-- What is taken out of a transfer by refunds and returns that have not failed, in both currencies. Kept in the same
-- transaction as the refund rows (under the transfer's row lock); the checks make an over-refund impossible even if
-- a writer forgot the lock.
alter table transfers
    add column refunded_minor              bigint not null default 0,
    add column refunded_destination_minor  bigint not null default 0,
    add column return_watch_until          timestamptz,
    add constraint transfers_refunded_within check (refunded_minor between 0 and source_amount_minor
        and refunded_destination_minor between 0 and destination_amount_minor);
create index transfers_return_watch on transfers (next_attempt_at) where status = 'SETTLED'
    and return_watch_until is not null;
