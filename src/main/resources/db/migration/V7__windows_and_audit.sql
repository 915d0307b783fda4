-- Emergency overrides of settlement windows (ops only): open or close a rail ad hoc until a time.
create table window_overrides (
    id          bigserial primary key,
    rail        text not null,
    currency    text,
    state       text not null check (state in ('OPEN', 'CLOSED', 'CLEARED')),
    until       timestamptz,
    reason      text not null,
    actor       text not null,
    created_at  timestamptz not null default clock_timestamp()
);
create index window_overrides_rail on window_overrides (rail, id desc);

-- Append-only audit trail of ops actions: who did what to what, when and why.
create table ops_audit (
    id          bigserial primary key,
    actor       text not null,
    action      text not null,
    target      text not null,
    reason      text not null,
    details     jsonb,
    at          timestamptz not null default clock_timestamp()
);
create index ops_audit_target on ops_audit (target, id);
create trigger ops_audit_append_only before update or delete on ops_audit
    for each row execute function ledger_refuse_change();
