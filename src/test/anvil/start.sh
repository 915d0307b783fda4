#!/usr/bin/env bash
# A local Base chain for the hub: anvil (chain id 8453, a block a second) on 127.0.0.1:${ANVIL_PORT:-8545}, the
# RailyardUsdc token (RailyardUsdc.json) deployed by dev account 0, and ${FLOAT_USDC:-1000000} USDC minted to the hub's
# hot wallet: dev account 1, whose key is the hub's default RAILYARD_BASE_PRIVATE_KEY (anvil gives it 10,000 ETH for
# gas). Prints the settings to start the hub with, then runs until Ctrl-C. README: "Base on a real local chain".
set -euo pipefail
cd "$(dirname "$0")/../../.."
src/test/anvil/install.sh >/dev/null
port=${ANVIL_PORT:-8545}
url=http://127.0.0.1:$port
deployer=0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266
hot_wallet=0x70997970C51812dc3A010C7d01b50e0d17dc79C8

.tools/anvil/node_modules/.bin/anvil --chain-id 8453 --block-time 1 --host 127.0.0.1 --port "$port" \
  >"${TMPDIR:-/tmp}/railyard-anvil-$port.log" 2>&1 &
anvil_pid=$!
trap 'kill $anvil_pid 2>/dev/null' EXIT

rpc() {
  curl -sf "$url" -H 'Content-Type: application/json' \
    -d "{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"$1\", \"params\": $2}"
}
field() { sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p"; }
mined() {  # the receipt of a transaction, once in a block
  local receipt
  until receipt=$(rpc eth_getTransactionReceipt "[\"$1\"]") && [ -n "$(field blockNumber <<<"$receipt")" ]; do
    sleep 0.2
  done
  [ "$(field status <<<"$receipt")" = 0x1 ] || { echo "transaction $1 failed: $receipt" >&2; exit 1; }
  echo "$receipt"
}
word() { printf '%064x' "$1"; }

for _ in $(seq 50); do rpc eth_chainId '[]' >/dev/null 2>&1 && break; sleep 0.2; done
bytecode=$(sed -n 's/.*"bytecode": "\(0x[0-9a-f]*\)".*/\1/p' src/test/anvil/RailyardUsdc.json)
deploy=$(rpc eth_sendTransaction "[{\"from\": \"$deployer\", \"data\": \"$bytecode\"}]" | field result)
token=$(mined "$deploy" | field contractAddress)
units=$(( ${FLOAT_USDC:-1000000} * 1000000 ))
mint=$(rpc eth_sendTransaction "[{\"from\": \"$deployer\", \"to\": \"$token\", \
\"data\": \"0x40c10f19$(printf '%024d' 0)${hot_wallet#0x}$(word "$units")\"}]" | field result)
mined "$mint" >/dev/null

cat <<OUT
anvil $url (chain 8453, log ${TMPDIR:-/tmp}/railyard-anvil-$port.log): RailyardUsdc at $token,
${FLOAT_USDC:-1000000} USDC minted to the hot wallet $hot_wallet. Start the hub with:

  export RAILYARD_BASE_RPC_URL=$url
  export RAILYARD_CONNECTORS_BASE_USDC_USDC_CONTRACT=$token
  mvn spring-boot:run

Ctrl-C stops the chain (its state is not kept).
OUT
wait $anvil_pid
