#!/usr/bin/env bash
# Installs anvil (Foundry's local EVM node, npm package @foundry-rs/anvil, pinned) into .tools/anvil (git-ignored),
# where the tests look for it. Needs node and npm; does nothing when that version is already there.
set -euo pipefail
ANVIL_VERSION=1.7.1
cd "$(dirname "$0")/../../.."
anvil=.tools/anvil/node_modules/.bin/anvil
if ! { [ -x "$anvil" ] && "$anvil" --version | grep -q "Version: $ANVIL_VERSION\$"; }; then
  echo "Installing anvil $ANVIL_VERSION into .tools/anvil (the Base rail's tests against a real EVM node)"
  npm install --prefix .tools/anvil --no-save --no-audit --no-fund "@foundry-rs/anvil@$ANVIL_VERSION" >/dev/null
fi
"$anvil" --version | sed -n 1p
