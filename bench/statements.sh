#!/usr/bin/env bash
# What the hub asks of PostgreSQL per transfer: runs bench/load.sh (with the arguments given here) on the local server
# (BENCH_DB_URL, default railyard_load on 127.0.0.1:5432) and counts with pg_stat_statements what was sent from the
# measured run's start (after any --warmup) until the harness ended, every transfer final. Prints the statements and
# transactions per transfer created in that time, and each statement sent at least once per 10 transfers.
#
#   BENCH_SPLIT=1 MVN_FLAGS=-o bench/statements.sh --rate 30 --seconds 60 --partners 20
#
# Needs the server to load pg_stat_statements (a restart; remove it the same way afterwards):
#   psql -h 127.0.0.1 -U postgres -c "alter system set shared_preload_libraries = 'pg_stat_statements'"
#   pg_ctlcluster 15 main restart
# Statements leave out transaction control (BEGIN, COMMIT, savepoints, SET LOCAL) and what runs inside PostgreSQL: the
# ledger's balance trigger, deferred to the commit, where pg_stat_statements counts its query as a top-level one.
set -euo pipefail
cd "$(dirname "$0")/.."

export BENCH_DB_URL=${BENCH_DB_URL:-jdbc:postgresql://127.0.0.1:5432/railyard_load?user=postgres}
db=$(sed -E 's|.*/([^/?]+)(\?.*)?$|\1|' <<<"$BENCH_DB_URL")
admin() { PGOPTIONS='-c client_min_messages=warning' psql -X -h 127.0.0.1 -U postgres -v ON_ERROR_STOP=1 -Atq "$@" postgres; }
if ! admin -c "show shared_preload_libraries" | grep -q pg_stat_statements; then
    echo "pg_stat_statements is not loaded by the server: see the comment at the top of $0" >&2
    exit 1
fi
admin -c "create extension if not exists pg_stat_statements"

log=target/statements-load.log
mkdir -p target
bench/load.sh "$@" > "$log" 2>&1 &
load_pid=$!
# reset once the harness starts sending, and again once its warm-up (if any) is over
for line in 'Railyard load' 'Warm-up'; do
    until grep -q "$line" "$log" 2>/dev/null; do
        kill -0 $load_pid 2>/dev/null || break 2
        sleep 0.2
    done
    admin -c "select pg_stat_statements_reset()" >/dev/null
done
wait $load_pid || { cat "$log"; exit 1; }
cat "$log"

psql -X -h 127.0.0.1 -U postgres -v ON_ERROR_STOP=1 -q -d "$db" <<SQL
\pset footer off
set client_min_messages = warning;
create extension if not exists pg_stat_statements;
create temp table sent as
    select s.calls, regexp_replace(s.query, '\s+', ' ', 'g') as query from pg_stat_statements s
    join pg_database d on d.oid = s.dbid and d.datname = current_database()
    where s.toplevel and s.query !~* '^\s*(begin|commit|rollback|savepoint|release|set local)'
        and s.query !~ '\mnew\.';  -- a trigger function's query (it reads NEW)
create temp table counted as select
    (select count(*) from transfers, pg_stat_statements_info i where created_at >= i.stats_reset) as transfers,
    (select sum(calls) from sent) as statements,
    (select coalesce(sum(s.calls), 0) from pg_stat_statements s join pg_database d on d.oid = s.dbid
        and d.datname = current_database() where s.toplevel and s.query ~* '^\s*begin') as transactions;
select transfers, statements, round(statements::numeric / nullif(transfers, 0), 1) as statements_per_transfer,
    transactions, round(transactions::numeric / nullif(transfers, 0), 2) as transactions_per_transfer from counted;
select s.calls, round(s.calls::numeric / c.transfers, 2) as per_transfer, left(s.query, 140) as statement
    from sent s, counted c where s.calls * 10 >= c.transfers order by s.calls desc;
SQL
