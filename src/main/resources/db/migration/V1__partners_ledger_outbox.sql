-- Partners and their API keys. A key is shown once; only its SHA-256 is kept.
create table partners (
    id          uuid primary key,
    name        text not null unique,
    created_at  timestamptz not null default now()
);

create table api_keys (
    id          uuid primary key,
    partner_id  uuid not null references partners (id),
    prefix      text not null,
    key_hash    bytea not null unique,
    created_at  timestamptz not null default now(),
    revoked_at  timestamptz
);
create index api_keys_partner on api_keys (partner_id);

-- Ops users (dashboards, Hawtio, ops API). Passwords are BCrypt hashes.
create table ops_users (
    username       text primary key,
    password_hash  text not null,
    created_at     timestamptz not null default now()
);

-- The ledger: double-entry and append-only. Amounts in minor units of the account's currency
-- (USD, BRL, MXN: 2 decimals; USDC: 6).
create table ledger_accounts (
    id              uuid primary key,
    owner_type      text not null check (owner_type in ('PARTNER', 'RAIL', 'HOUSE')),
    owner_id        text not null,
    currency        text not null check (currency in ('USD', 'BRL', 'MXN', 'USDC')),
    kind            text not null check (kind in ('AVAILABLE', 'IN_FLIGHT', 'SETTLEMENT', 'FEES', 'FX_CLEARING', 'FUNDING')),
    allow_negative  boolean not null,
    -- Kept in the posting's transaction under a row lock; always equal to the sum of the account's postings.
    balance_minor   bigint not null default 0,
    created_at      timestamptz not null default now(),
    unique (owner_type, owner_id, currency, kind),
    check (allow_negative or balance_minor >= 0)
);

create table journal_entries (
    id           uuid primary key,
    kind         text not null,
    reference    text not null,
    description  text,
    created_at   timestamptz not null default clock_timestamp(),
    -- One entry per business event: a retried posting can never move money twice.
    unique (kind, reference)
);

create table postings (
    id             bigserial primary key,
    entry_id       uuid not null references journal_entries (id),
    account_id     uuid not null references ledger_accounts (id),
    currency       text not null,
    amount_minor   bigint not null check (amount_minor <> 0),
    created_at     timestamptz not null
);
create index postings_account_time on postings (account_id, created_at);
create index postings_entry on postings (entry_id);

-- Append-only: history is never rewritten; corrections are new entries.
create function ledger_refuse_change() returns trigger language plpgsql as $$
begin
    raise exception 'ledger history is append-only: % on % refused', tg_op, tg_table_name;
end $$;
create trigger journal_entries_append_only before update or delete on journal_entries
    for each row execute function ledger_refuse_change();
create trigger postings_append_only before update or delete on postings
    for each row execute function ledger_refuse_change();

-- The database checks the balance rule too, at commit: every entry sums to zero per currency.
create function ledger_check_entry_balanced() returns trigger language plpgsql as $$
begin
    if exists (select 1 from postings where entry_id = new.entry_id
               group by currency having sum(amount_minor) <> 0) then
        raise exception 'journal entry % does not balance per currency', new.entry_id;
    end if;
    return null;
end $$;
create constraint trigger postings_balanced after insert on postings
    deferrable initially deferred for each row execute function ledger_check_entry_balanced();

-- Transactional outbox: written in the same transaction as the state change, relayed to Kafka in id order.
create table outbox_events (
    id            bigserial primary key,
    event_id      uuid not null unique,
    topic         text not null,
    event_key     text not null,
    event_type    text not null,
    payload       json not null,   -- json, not jsonb: relayed byte for byte as written
    created_at    timestamptz not null default now(),
    published_at  timestamptz
);
create index outbox_unpublished on outbox_events (id) where published_at is null;
