#!/usr/bin/env bash
# pgbench ceiling for the ledger's transfer hold (same transaction shape as Ledger.post), against a running PostgreSQL
# (default: 127.0.0.1:5432, user postgres, trust auth). Two pgbench scripts, same statements:
#   bench/pgbench-ledger.sql            one statement per round trip (8 round trips per transaction)
#   bench/pgbench-ledger-pipelined.sql  the 5 round trips pgjdbc uses for Ledger.post (BEGIN with the first
#                                       statement, the 2 postings and the 2 balance updates each as one batch)
#
#   bench/pgbench.sh                      # per script, 3 runs of DURATION s: 1 client, 8 clients (random partner of
#                                         # PARTNERS), 8 clients all on one partner (contended)
#   DURATION=10 bench/pgbench.sh          # shorter runs
#   RUNS=contended-c8 bench/pgbench.sh    # only some of the runs (uncontended-c1 uncontended-c8 contended-c8)
#   SCRIPTS=pgbench-ledger-pipelined bench/pgbench.sh   # only one of the scripts
#   PGOPTIONS='-c synchronous_commit=off' bench/pgbench.sh    # server settings for the benchmark's sessions
#
# Each run gets a fresh throwaway database ($BENCH_DB, dropped at the end): the project's V1 migration (tables,
# constraints, triggers), then bench/pgbench-seed.sql. After each run the ledger invariant is checked
# (balance_minor = sum of the account's postings) and the number of holds counted.
set -euo pipefail
cd "$(dirname "$0")/.."

export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
DB=${BENCH_DB:-railyard_pgbench}
DURATION=${DURATION:-30}
PARTNERS=${PARTNERS:-1000}
OUT=${OUT:-target/pgbench}
mkdir -p "$OUT"

psql_db() { psql -X -q -v ON_ERROR_STOP=1 -d "$1" "${@:2}"; }

fresh_db() {
    psql_db postgres -c "drop database if exists $DB with (force)" -c "create database $DB"
    psql_db "$DB" -f src/main/resources/db/migration/V1__partners_ledger_outbox.sql
    psql_db "$DB" -v npartners="$PARTNERS" -f bench/pgbench-seed.sql
    psql_db "$DB" -c 'vacuum analyze'
}

summary=()
run() {
    local script=$1 run=$2 clients=$3 threads=$4 partners=$5
    local name=$script.$run
    fresh_db
    local cmd=(pgbench -n -M prepared -f "bench/$script.sql" -D "npartners=$partners"
               -c "$clients" -j "$threads" -T "$DURATION" "$DB")
    echo "== $name: ${cmd[*]}"
    "${cmd[@]}" 2>&1 | tee "$OUT/$name.txt"
    local check
    check=$(psql -X -At -d "$DB" -c "select (select count(*) from journal_entries where kind = 'transfer.hold')
        || ' holds, ' || (select count(*) from ledger_accounts a where a.balance_minor
        <> coalesce((select sum(p.amount_minor) from postings p where p.account_id = a.id), 0))
        || ' accounts drifted'")
    echo "   check: $check"
    local tps latency
    tps=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p' "$OUT/$name.txt")
    latency=$(sed -n 's/^latency average = \(.*\)$/\1/p' "$OUT/$name.txt")
    summary+=("$(printf '%-40s clients=%-2s jobs=%-2s partners=%-5s tps=%-10s latency=%s  (%s)' \
        "$name" "$clients" "$threads" "$partners" "$tps" "$latency" "$check")")
}

echo "server: $(psql -X -At -d postgres -c "select version()")"
echo "settings: $(psql -X -At -d postgres -c "select string_agg(name || '=' || setting, ', ' order by name)
    from pg_settings where name in ('synchronous_commit', 'fsync', 'shared_buffers', 'wal_level', 'max_connections')")"
for script in ${SCRIPTS:-pgbench-ledger pgbench-ledger-pipelined}; do
    [[ -f bench/$script.sql ]] || { echo "no bench/$script.sql" >&2; exit 2; }
    for name in ${RUNS:-uncontended-c1 uncontended-c8 contended-c8}; do
        case $name in
            uncontended-c1) run "$script" uncontended-c1 1 1 "$PARTNERS" ;;
            uncontended-c8) run "$script" uncontended-c8 8 2 "$PARTNERS" ;;
            contended-c8) run "$script" contended-c8 8 2 1 ;;
            *) echo "unknown run $name (uncontended-c1, uncontended-c8, contended-c8)" >&2; exit 2 ;;
        esac
    done
done
psql_db postgres -c "drop database if exists $DB with (force)"

echo
echo "== summary (pgbench $(pgbench --version | awk '{print $NF}'), ${DURATION}s each, PGOPTIONS='${PGOPTIONS:-}')"
printf '%s\n' "${summary[@]}"
