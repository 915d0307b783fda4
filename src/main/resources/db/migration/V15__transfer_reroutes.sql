-- A payout a rail refused for a reason of its own (a failure code its connector lists under reroute-on), after which
-- the transfer moved to its fallback rail. Kept so that the refusing rail's statement still reconciles: its line for
-- the transfer matches this attempt (FAILED), not the transfer, which now lives on the fallback rail.
create table transfer_reroutes (
    id             bigserial primary key,
    transfer_id    uuid not null references transfers (id),
    from_rail      text not null,
    to_rail        text not null,
    failure_code   text not null,
    failure_reason text,
    rail_reference text,
    submitted_at   timestamptz not null,
    at             timestamptz not null default clock_timestamp(),
    unique (transfer_id, from_rail)
);
create index transfer_reroutes_rail on transfer_reroutes (from_rail, submitted_at);
