-- Treasury: float alerts (with hysteresis), accepted rebalancing moves, periodic snapshots for history.

-- The alert state of each rail float (one row per rail and currency). RAISED when coverage fell below the rail's
-- `low` threshold; back to CLEAR only once coverage reaches `recover` (> low), so a coverage hovering around the
-- threshold does not flap.
create table treasury_alerts (
    rail             text not null,
    currency         text not null,
    state            text not null check (state in ('CLEAR', 'RAISED')),
    coverage         numeric(20, 4),
    raised_at        timestamptz,
    cleared_at       timestamptz,
    transitions      int not null default 0,
    evaluated_at     timestamptz not null default clock_timestamp(),
    primary key (rail, currency)
);

-- Rebalancing moves accepted by ops: what moved where, at which rate and cost, who accepted it and why. The money
-- itself moves in the ledger entry (kind treasury.rebalance, reference = id).
create table treasury_rebalances (
    id                 uuid primary key,
    recommendation_id  text not null,
    from_rail          text,            -- null: the house (treasury bank account, ledger HOUSE FUNDING)
    from_currency      text not null,
    from_amount_minor  bigint not null check (from_amount_minor > 0),
    to_rail            text not null,
    to_currency        text not null,
    to_amount_minor    bigint not null check (to_amount_minor > 0),
    mid_rate           numeric(30, 12) not null,
    spread_bps         int not null,
    fx_cost_usd        numeric(20, 2) not null,
    entry_id           uuid not null,
    actor              text not null,
    reason             text not null,
    created_at         timestamptz not null default clock_timestamp()
);
create index treasury_rebalances_created on treasury_rebalances (created_at desc, id desc);

-- Periodic snapshots (route treasury.snapshot.take, clustered Quartz): one row per rail and currency per minute at
-- most (a second instance firing the same minute adds nothing), stamped with the instant the figures were read.
create table treasury_snapshots (
    id                  bigserial primary key,
    minute              timestamptz not null,
    taken_at            timestamptz not null,
    rail                text not null,
    currency            text not null,
    float_minor         bigint not null,
    in_flight_minor     bigint not null,
    queued_minor        bigint not null,
    projected_minor     bigint not null,
    coverage            numeric(20, 4),
    float_usd           numeric(24, 2) not null,
    unique (minute, rail, currency)
);
create index treasury_snapshots_series on treasury_snapshots (rail, currency, taken_at);
create index treasury_snapshots_taken on treasury_snapshots (taken_at);

-- Settlement velocity reads settled transfers by settlement time.
create index transfers_settled_at on transfers (settled_at) where settled_at is not null;
