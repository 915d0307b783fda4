-- Batches and mass payouts: one batch, its items (each a transfer, or the reason it was refused).
create table batches (
    id            uuid primary key,
    partner_id    uuid not null references partners (id),
    status        text not null check (status in ('VALIDATING', 'PROCESSING', 'COMPLETED', 'COMPLETED_WITH_FAILURES',
                                                  'FAILED')),
    mode          text not null check (mode in ('atomic', 'partial')),
    source        text not null check (source in ('json', 'csv')),
    total_items   int not null,
    valid_items   int not null,
    created_at    timestamptz not null default clock_timestamp(),
    completed_at  timestamptz
);
create index batches_partner on batches (partner_id, created_at desc);

create table batch_items (
    batch_id     uuid not null references batches (id),
    item_index   int not null,
    line         int,
    reference    text,
    transfer_id  uuid references transfers (id),
    attempts     int not null default 1,
    errors       jsonb,
    primary key (batch_id, item_index)
);
create unique index batch_items_transfer on batch_items (transfer_id);

-- Earlier transfers of retried items (a retry is a new transfer for the same item).
create table batch_item_attempts (
    batch_id     uuid not null,
    item_index   int not null,
    transfer_id  uuid not null references transfers (id),
    replaced_at  timestamptz not null default clock_timestamp(),
    primary key (batch_id, item_index, transfer_id)
);

alter table transfers add column batch_id uuid references batches (id);
create index transfers_batch on transfers (batch_id) where batch_id is not null;

-- Camel's JdbcAggregationRepository (batch completion aggregator): in-flight aggregations survive a crash.
create table batch_completion (
    id         varchar(255) not null primary key,
    exchange   bytea not null,
    version    bigint not null
);
create table batch_completion_completed (
    id         varchar(255) not null primary key,
    exchange   bytea not null,
    version    bigint not null
);
