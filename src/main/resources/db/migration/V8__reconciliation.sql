-- Reconciliation (README "Reconciliation"): each run imports a rail's statement for a period, matches it against the
-- transfers the hub sent to that rail, and records what did not agree as typed discrepancies worked by ops.

-- When a transfer was handed to its rail: the ledger side of a reconciliation period.
create index transfer_transitions_submitted on transfer_transitions (at, transfer_id) where to_status = 'SUBMITTED';

create table reconciliation_runs (
    id                 uuid primary key,
    rail               text not null,
    period_from        timestamptz not null,
    period_to          timestamptz not null,
    dry_run            boolean not null,
    trigger            text not null check (trigger in ('SCHEDULE', 'API')),
    requested_by       text not null,
    status             text not null check (status in ('RUNNING', 'COMPLETED', 'FAILED')),
    ledger_transfers   bigint,
    statement_lines    bigint,
    matched_transfers  bigint,
    matched_lines      bigint,
    match_rate         numeric(7, 6),
    discrepancies      bigint,
    new_discrepancies  bigint,
    -- per currency: ledger and statement totals (minor units), matched totals, counts; per discrepancy type: counts
    report             jsonb,
    error              text,
    duration_ms        bigint,
    created_at         timestamptz not null default clock_timestamp(),
    finished_at        timestamptz,
    check (period_from < period_to)
);
create index reconciliation_runs_created on reconciliation_runs (created_at desc, id desc);
create index reconciliation_runs_rail on reconciliation_runs (rail, created_at desc);

-- The rail's statement as imported: raw (the rail's own JSON) and normalised. Kept for every non-dry run.
create table reconciliation_statement_lines (
    id              bigserial primary key,
    run_id          uuid not null references reconciliation_runs (id),
    line_no         int not null,
    rail_reference  text,
    transfer_key    text,
    reference       text,
    amount_minor    bigint,
    currency        text,
    rail_status     text,
    outcome         text not null,
    occurred_at     timestamptz not null,
    returned_at     timestamptz,
    raw             json not null,   -- as the rail sent it (json: kept as text, validated, not re-encoded)
    unique (run_id, line_no)
);
create index reconciliation_lines_reference on reconciliation_statement_lines (rail_reference);

-- Pairs (or groups: one-to-many, many-to-one) the matcher made, and by which rule.
create table reconciliation_matches (
    run_id       uuid not null references reconciliation_runs (id),
    group_no     bigint not null,
    transfer_id  uuid,
    line_no      int,
    rule         text not null,
    clean        boolean not null
);
create index reconciliation_matches_run on reconciliation_matches (run_id, group_no);

create table reconciliation_discrepancies (
    id                   uuid primary key,
    -- type + transfer + rail reference/line: the same fault found again by a later run is the same discrepancy
    fingerprint          text not null unique,
    run_id               uuid not null references reconciliation_runs (id),
    last_run_id          uuid not null references reconciliation_runs (id),
    rail                 text not null,
    type                 text not null check (type in ('missing_at_rail', 'missing_in_ledger', 'amount_mismatch',
                                 'currency_mismatch', 'status_mismatch', 'duplicate_at_rail', 'late_return')),
    transfer_id          uuid references transfers (id),
    partner_id           uuid references partners (id),
    line_id              bigint references reconciliation_statement_lines (id),
    rail_reference       text,
    currency             text,
    ledger_amount_minor  bigint,
    rail_amount_minor    bigint,
    ledger_status        text,
    rail_status          text,
    detail               text not null,
    state                text not null default 'OPEN' check (state in ('OPEN', 'RESOLVED')),
    assignee             text,
    resolution           text check (resolution in ('ledger_adjustment', 'rail_error', 'write_off', 'rematch')),
    resolution_reason    text,
    resolution_entry_id  uuid references journal_entries (id),
    rematch_line_id      bigint references reconciliation_statement_lines (id),
    resolved_by          text,
    resolved_at          timestamptz,
    created_at           timestamptz not null default clock_timestamp(),
    updated_at           timestamptz not null default clock_timestamp()
);
create index reconciliation_discrepancies_page on reconciliation_discrepancies (created_at desc, id desc);
create index reconciliation_discrepancies_open on reconciliation_discrepancies (rail, type) where state = 'OPEN';
create index reconciliation_discrepancies_transfer on reconciliation_discrepancies (transfer_id);

-- The manual workflow's trail: who did what to which discrepancy, when. Append-only, like the ledger.
create table reconciliation_audit (
    id               bigserial primary key,
    discrepancy_id   uuid not null references reconciliation_discrepancies (id),
    actor            text not null,
    action           text not null check (action in ('raised', 'assign', 'comment', 'resolve', 'reopen')),
    details          jsonb not null,
    at               timestamptz not null default clock_timestamp()
);
create index reconciliation_audit_discrepancy on reconciliation_audit (discrepancy_id, id);
create trigger reconciliation_audit_append_only before update or delete on reconciliation_audit
    for each row execute function ledger_refuse_change();
