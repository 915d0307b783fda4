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

-- What a rail tells the partner about a refund beyond its status, from its connector's latest answer (Base: the
-- address the beneficiary must send the tokens back to, and until when the hub waits).
alter table refunds add column rail_details jsonb;
