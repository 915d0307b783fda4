-- One signed transaction per transfer on an EVM rail, kept before it is sent: a retry re-sends these exact bytes
-- (same hash), so a transfer can never be paid by two transactions.
create table evm_transactions (
    transfer_id  uuid primary key references transfers (id),
    rail         text not null,
    sender       text not null,
    nonce        bigint not null,
    raw_tx       text not null,
    tx_hash      text not null unique,
    created_at   timestamptz not null default now(),
    unique (rail, sender, nonce)
);
