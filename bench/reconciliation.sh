#!/usr/bin/env bash
# Reconciliation benchmark (src/jmh/java/io/railyard/bench/ReconciliationBench.java): N ledger transfers against N
# statement lines (default 1,000,000 x 1,000,000) through the real ReconciliationEngine, on a real PostgreSQL.
#
#   bench/reconciliation.sh                                   # 127.0.0.1:5432, user postgres (trust), db recon_bench
#   BENCH_N=100000 bench/reconciliation.sh                    # smaller
#   BENCH_DRY=true bench/reconciliation.sh                    # a dry run (report only) first, then the full run
#   BENCH_DB_URL='jdbc:postgresql://host:5432/postgres?user=me' bench/reconciliation.sh
#
# The database recon_bench is dropped, created, migrated (Flyway) and seeded (not timed), then dropped at the end.
# MVN_FLAGS defaults to -ntp (Maven may download); MVN_FLAGS=-o runs offline.
set -euo pipefail
cd "$(dirname "$0")/.."

MVN_FLAGS=${MVN_FLAGS--ntp}
classpath_file=target/bench-classpath.txt
# shellcheck disable=SC2086
mvn $MVN_FLAGS -B -q -Pbench -DskipTests test-compile dependency:build-classpath \
    -Dmdep.includeScope=test -Dmdep.outputFile="$classpath_file"

exec java -Xmx1g -Dlogback.configurationFile=bench/logback-bench.xml \
    -Dbench.n="${BENCH_N:-1000000}" -Dbench.dry="${BENCH_DRY:-false}" \
    -Dbench.db.url="${BENCH_DB_URL:-jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres}" \
    -cp "target/test-classes:target/classes:$(cat "$classpath_file")" io.railyard.bench.ReconciliationBench
