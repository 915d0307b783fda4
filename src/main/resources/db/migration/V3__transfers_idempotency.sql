-- Transfers: one row per money movement a partner asked for, with its state machine history.
create table transfers (
    id                        uuid primary key,
    partner_id                uuid not null references partners (id),
    status                    text not null check (status in ('ACCEPTED', 'ROUTED', 'QUEUED', 'SUBMITTED', 'SETTLED',
                                                              'FAILED', 'RETURNED', 'CANCELLED')),
    protocol                  text not null check (protocol in ('api', 'x402', 'ap2', 'acp')),
    source_currency           text not null,
    source_amount_minor       bigint not null check (source_amount_minor > 0),
    destination_currency      text not null,
    destination_amount_minor  bigint not null check (destination_amount_minor > 0),
    destination_country       text,
    beneficiary               jsonb not null,
    protocol_metadata         jsonb,
    metadata                  jsonb,
    reference                 text not null,
    quote                     jsonb,
    rail                      text,
    fallback_rail             text,
    routing_reason            text,
    rail_reference            text,
    failure_code              text,
    failure_reason            text,
    release_at                timestamptz,
    created_at                timestamptz not null default clock_timestamp(),
    updated_at                timestamptz not null default clock_timestamp()
);
create index transfers_partner_created on transfers (partner_id, created_at desc, id desc);
create index transfers_status on transfers (status) where status not in ('SETTLED', 'FAILED', 'RETURNED', 'CANCELLED');

create table transfer_transitions (
    id           bigserial primary key,
    transfer_id  uuid not null references transfers (id),
    from_status  text,
    to_status    text not null,
    reason       text,
    at           timestamptz not null default clock_timestamp()
);
create index transfer_transitions_transfer on transfer_transitions (transfer_id, id);

-- Idempotency-Key records (IETF draft "The Idempotency-Key HTTP Header Field"): committed in the same transaction as
-- the effect of the request they answer, so the effect and its replayable response exist together or not at all.
create table idempotency_records (
    scope           text not null,
    idem_key        text not null,
    method          text not null,
    path            text not null,
    fingerprint     bytea not null,
    status_code     int not null,
    content_type    text,
    body            text,
    created_at      timestamptz not null default now(),
    expires_at      timestamptz not null,
    primary key (scope, idem_key)
);
create index idempotency_records_expiry on idempotency_records (expires_at);
