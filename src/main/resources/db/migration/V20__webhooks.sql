-- Webhooks: partner endpoints, one delivery per (endpoint, event) with a durable retry schedule, an attempt log, and
-- the fan-out position in the outbox. Everything a retry needs is here, so retries survive restarts and any instance
-- can pick them up (claims use FOR UPDATE SKIP LOCKED).

create table webhook_endpoints (
    id                          uuid primary key,
    partner_id                  uuid not null references partners (id),
    url                         text not null,
    description                 text,
    -- Event types delivered: exact types ('transfer.settled') or families ('transfer.*'); empty = every type.
    event_types                 text[] not null default '{}',
    enabled                     boolean not null default true,
    disabled_reason             text,
    -- Signing secrets (whsec_...), sealed with railyard.webhooks.secret-key when one is configured. HMAC needs the
    -- secret itself, so it cannot be hashed; it is never logged nor shown again after creation/rotation.
    secret                      text not null,
    previous_secret             text,
    previous_secret_expires_at  timestamptz,
    secret_rotated_at           timestamptz,
    -- Circuit breaker: consecutive failed attempts; at the threshold the endpoint is paused (no claims) until then.
    consecutive_failures        int not null default 0,
    paused_until                timestamptz,
    created_at                  timestamptz not null default now(),
    updated_at                  timestamptz not null default now()
);
create index webhook_endpoints_partner on webhook_endpoints (partner_id, created_at);

create table webhook_deliveries (
    id               uuid primary key,
    endpoint_id      uuid not null references webhook_endpoints (id) on delete cascade,
    partner_id       uuid not null,
    event_id         uuid not null,          -- the outbox event id: the webhook-id header, stable across attempts
    event_type       text not null,
    payload          text not null,          -- the body, byte for byte as signed
    test             boolean not null default false,
    -- PENDING: waiting for next_attempt_at (or in flight while lease_until is in the future);
    -- SUCCEEDED: a 2xx answered; DEAD: attempts exhausted or 410 (the dead letter queue); FAILED: a test send failed.
    status           text not null check (status in ('PENDING', 'SUCCEEDED', 'DEAD', 'FAILED')),
    attempts         int not null default 0, -- attempts in the current schedule (a replay starts a new one)
    total_attempts   int not null default 0,
    replays          int not null default 0,
    next_attempt_at  timestamptz,
    lease_until      timestamptz,            -- set while an instance is sending it; expired = the sender died
    claim_token      uuid,
    last_attempt_at  timestamptz,
    last_status      int,
    last_error       text,
    delivered_at     timestamptz,
    dead_at          timestamptz,
    created_at       timestamptz not null default now(),
    updated_at       timestamptz not null default now(),
    unique (endpoint_id, event_id)
);
create index webhook_deliveries_due on webhook_deliveries (endpoint_id, next_attempt_at) where status = 'PENDING';
create index webhook_deliveries_leased on webhook_deliveries (endpoint_id) where lease_until is not null;
create index webhook_deliveries_partner on webhook_deliveries (partner_id, created_at desc, id desc);
create index webhook_deliveries_dead on webhook_deliveries (endpoint_id, created_at) where status = 'DEAD';

create table webhook_attempts (
    id                bigserial primary key,
    delivery_id       uuid not null references webhook_deliveries (id) on delete cascade,
    attempt_no        int not null,
    attempted_at      timestamptz not null,
    url               text not null,
    request_headers   jsonb not null,
    response_status   int,
    response_headers  jsonb,
    response_body     text,                   -- first 2 KB
    latency_ms        int not null,
    error             text,
    outcome           text not null check (outcome in ('SUCCEEDED', 'FAILED', 'GONE'))
);
create index webhook_attempts_delivery on webhook_attempts (delivery_id, attempt_no);
create index webhook_attempts_time on webhook_attempts (attempted_at);

-- The fan-out's position in outbox_events: every id <= high_water was handled, except the gaps listed below (ids of
-- transactions not committed yet when the fan-out passed them; dropped when they stay empty for the gap timeout).
create table webhook_fanout_cursor (
    id          int primary key check (id = 1),
    high_water  bigint not null,
    updated_at  timestamptz not null default now()
);
insert into webhook_fanout_cursor (id, high_water) select 1, coalesce(max(id), 0) from outbox_events;

create table webhook_fanout_gaps (
    outbox_id  bigint primary key,
    seen_at    timestamptz not null default now()
);
