#!/usr/bin/env bash
# Random (UUIDv4) against time-ordered (UUIDv7, io.railyard.id.RowIds) primary keys, as the hub's busiest tables take
# them, on a table already holding ROWS rows (default 3,000,000): pgbench inserts for DURATION s (default 30) with 8
# clients, after a checkpoint, and prints the rate and the WAL (records, full-page images, bytes) per insert. Against a
# running PostgreSQL (default 127.0.0.1:5432, user postgres, trust auth), in a throwaway database dropped at the end.
#
#   bench/row-ids.sh
#   ROWS=1000000 DURATION=20 bench/row-ids.sh
set -euo pipefail
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
DB=${BENCH_DB:-railyard_row_ids}
ROWS=${ROWS:-3000000}
DURATION=${DURATION:-30}
work=$(mktemp -d)
trap 'rm -rf "$work"; psql -X -q -d postgres -c "drop database if exists $DB with (force)"' EXIT
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" "$@"; }
psql -X -q -d postgres -c "drop database if exists $DB with (force)" -c "create database $DB"
q <<SQL
-- a UUIDv7 of the current millisecond, as RowIds makes them (PostgreSQL 15 has no uuidv7())
create function uuid_v7(at timestamptz) returns uuid language sql volatile as \$\$
    select encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
        placing substring(int8send(floor(extract(epoch from at) * 1000)::bigint) from 3) from 1 for 6),
        52, 1), 53, 1), 'hex')::uuid
\$\$;
-- a transfer-sized row (about 350 bytes, as transfers' rows measured in the load runs)
create table v4 (id uuid primary key, partner int not null, created_at timestamptz not null, body text not null);
create table v7 (like v4 including all);
-- the same history in both: ROWS rows over the last 30 days
insert into v4 select gen_random_uuid(), n % 1000, now() - interval '30 days' * (1 - n::float / $ROWS), repeat('x', 300)
    from generate_series(1, $ROWS) n;
insert into v7 select uuid_v7(created_at), partner, created_at, body from v4 order by created_at;
vacuum analyze;
SQL
size() { q -c "select pg_size_pretty(pg_relation_size('$1'))"; }
echo "== $ROWS rows each: table $(size v4), primary key $(size v4_pkey) (v4) / $(size v7_pkey) (v7);" \
    "shared_buffers $(q -c 'show shared_buffers')"
for kind in v4 v7; do
    id=$([[ $kind == v4 ]] && echo "gen_random_uuid()" || echo "uuid_v7(clock_timestamp())")
    echo "insert into $kind values ($id, (random() * 999)::int, now(), repeat('x', 300));" > "$work/$kind.sql"
    q -c checkpoint -c "select pg_stat_reset_shared('wal')" >/dev/null
    tps=$(pgbench -n -c 8 -j 2 -T "$DURATION" -f "$work/$kind.sql" "$DB" | sed -n 's/^tps = \([0-9.]*\).*/\1/p')
    q -F ' ' -c "select '$kind: $tps inserts/s;', round(wal_records::numeric / n, 1), 'WAL records,',
        round(wal_fpi::numeric / n, 3), 'full pages,', round(wal_bytes::numeric / n), 'bytes per insert'
        from pg_stat_wal, (select count(*) - $ROWS n from $kind) c"
done
