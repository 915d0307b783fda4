-- Refunds on an EVM rail are return transfers made by the beneficiary (the hub cannot pull tokens back): each refund
-- claims one Transfer log of the token (transaction hash + log index), so one return settles one refund only.
create table evm_return_claims (
    refund_id     uuid primary key references refunds (id),
    rail          text not null,
    tx_hash       text not null,
    log_index     bigint not null,
    block_number  bigint not null,
    claimed_at    timestamptz not null default clock_timestamp(),
    unique (rail, tx_hash, log_index)
);
