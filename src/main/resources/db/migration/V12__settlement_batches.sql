-- Settlement batches: the instructions of a batched rail aggregated per window into one bulk request, with netting
-- (one line per beneficiary and currency) where the rail allows it. Every transfer keeps its own status; the batch
-- keeps the breakdown (which transfers are in which line).
create table settlement_batches (
    id               uuid primary key,
    rail             text not null,
    currency         text not null,
    window_end       timestamptz not null,
    netting          boolean not null,
    status           text not null check (status in ('SUBMITTED', 'COMPLETED', 'COMPLETED_WITH_FAILURES', 'FAILED')),
    item_count       int not null check (item_count > 0),
    line_count       int not null check (line_count > 0 and line_count <= item_count),
    total_minor      bigint not null check (total_minor > 0),
    rail_batch_id    text,
    attempts         int not null default 0,
    next_attempt_at  timestamptz,
    needs_review     boolean not null default false,
    created_at       timestamptz not null default clock_timestamp(),
    completed_at     timestamptz
);
create index settlement_batches_rail on settlement_batches (rail, created_at desc, id desc);
create index settlement_batches_due on settlement_batches (next_attempt_at) where status = 'SUBMITTED';

create table settlement_batch_lines (
    batch_id        uuid not null references settlement_batches (id),
    line_no         int not null check (line_no > 0),
    line_key        uuid not null unique,
    beneficiary     jsonb not null,
    amount_minor    bigint not null check (amount_minor > 0),
    outcome         text not null default 'PENDING'
                    check (outcome in ('PENDING', 'SETTLED', 'FAILED', 'RETURNED', 'UNKNOWN')),
    rail_status     text,
    rail_reference  text,
    failure_code    text,
    failure_reason  text,
    primary key (batch_id, line_no)
);

-- A transfer is in at most one settlement batch (the primary key): an instruction delivered twice is sealed once.
create table settlement_batch_items (
    transfer_id   uuid primary key references transfers (id),
    batch_id      uuid not null,
    line_no       int not null,
    amount_minor  bigint not null check (amount_minor > 0),
    foreign key (batch_id, line_no) references settlement_batch_lines (batch_id, line_no)
);
create index settlement_batch_items_line on settlement_batch_items (batch_id, line_no);

-- Camel's JdbcAggregationRepository for the window aggregator: open windows and completed-but-unsent batches survive
-- a crash (the completed table is what recovery re-sends).
create table settlement_batch_aggregation (
    id         varchar(255) not null primary key,
    exchange   bytea not null,
    version    bigint not null
);
create table settlement_batch_aggregation_completed (
    id         varchar(255) not null primary key,
    exchange   bytea not null,
    version    bigint not null
);
