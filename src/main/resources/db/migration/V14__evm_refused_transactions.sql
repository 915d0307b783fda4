-- A signed transaction the node refused outright (it never knew its hash) no longer holds its nonce: the sender's next
-- payout takes that nonce, so on a real node later transactions never wait behind a gap. The row is kept, marked: its
-- transfer is failed and the bytes are never sent again (the nonce may be another transaction's by then). The next
-- payout may even sign the very same bytes (same nonce, recipient and amount): only live transactions are unique.
alter table evm_transactions add column refused_at timestamptz;
alter table evm_transactions drop constraint evm_transactions_rail_sender_nonce_key;
alter table evm_transactions drop constraint evm_transactions_tx_hash_key;
create unique index evm_transactions_live_nonce on evm_transactions (rail, sender, nonce) where refused_at is null;
create unique index evm_transactions_live_hash on evm_transactions (tx_hash) where refused_at is null;
