#!/usr/bin/env bash
# Compiles RailyardUsdc.sol into RailyardUsdc.json (ABI and creation bytecode), which is committed so that the tests
# and local chains need no compiler. Reproducible: the pinned solc-js and the settings below always give the same
# bytes. Run it after changing the source: src/test/anvil/build-token.sh
set -euo pipefail
SOLC_VERSION=0.8.37
here=$(cd "$(dirname "$0")" && pwd)
solc_dir="$here/../../../.tools/solc-$SOLC_VERSION"   # git-ignored
if [ ! -f "$solc_dir/node_modules/solc/package.json" ]; then
  npm install --prefix "$solc_dir" --no-save --no-audit --no-fund "solc@$SOLC_VERSION" >/dev/null
fi
cd "$here"
SOLC_MODULE="$solc_dir/node_modules/solc" node - <<'JS'
const fs = require('fs');
const solc = require(process.env.SOLC_MODULE);
const settings = {optimizer: {enabled: true, runs: 200}, evmVersion: 'cancun'};
const input = {
  language: 'Solidity',
  sources: {'RailyardUsdc.sol': {content: fs.readFileSync('RailyardUsdc.sol', 'utf8')}},
  settings: {...settings, outputSelection: {'*': {'*': ['abi', 'evm.bytecode.object']}}},
};
const output = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (output.errors || []).filter(e => e.severity === 'error');
if (errors.length) {
  console.error(errors.map(e => e.formattedMessage).join('\n'));
  process.exit(1);
}
const contract = output.contracts['RailyardUsdc.sol'].RailyardUsdc;
const artifact = {
  contract: 'RailyardUsdc',
  source: 'RailyardUsdc.sol',
  compiler: 'solc-js ' + solc.version(),
  settings,
  abi: contract.abi,
  bytecode: '0x' + contract.evm.bytecode.object,
};
fs.writeFileSync('RailyardUsdc.json', JSON.stringify(artifact, null, 2) + '\n');
console.log('RailyardUsdc.json: ' + (artifact.bytecode.length - 2) / 2 + ' bytes of creation code, ' + artifact.compiler);
JS
