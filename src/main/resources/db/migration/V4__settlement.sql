-- Settlement: what the rails said, and when to ask them again.
alter table transfers
    add column rail_status      text,
    add column attempts         int not null default 0,
    add column next_attempt_at  timestamptz,
    add column settled_at       timestamptz,
    add column needs_review     boolean not null default false;
create index transfers_due on transfers (next_attempt_at) where status in ('SUBMITTED', 'QUEUED');

-- Each rail outcome is applied once: duplicated confirmations carry the same result id.
create table settlement_results (
    result_id       text primary key,
    transfer_id     uuid not null references transfers (id),
    rail            text not null,
    outcome         text not null,
    rail_status     text,
    rail_reference  text,
    applied         boolean not null,
    received_at     timestamptz not null default now()
);
create index settlement_results_transfer on settlement_results (transfer_id);
