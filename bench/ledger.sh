#!/usr/bin/env bash
# Runs the JMH ledger-posting benchmark (src/jmh/java/io/railyard/bench/LedgerPostingBenchmark.java).
#
#   bench/ledger.sh                                   # against an embedded PostgreSQL (zonky), fresh per trial
#   BENCH_DB_URL='jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres' bench/ledger.sh
#                                                     # against that server, in a throwaway database railyard_bench
#   bench/ledger.sh holdOwnPartner1Thread -rf json    # arguments go to JMH (org.openjdk.jmh.Main): a benchmark
#                                                     # regex, -wi/-i/-r to shorten, -rf/-rff for a result file...
#
# Compiles with the Maven profile `bench` (adds src/jmh as test sources plus JMH), then runs JMH with the test
# classpath. MVN_FLAGS defaults to -ntp (Maven may download); MVN_FLAGS=-o runs offline.
set -euo pipefail
cd "$(dirname "$0")/.."

MVN_FLAGS=${MVN_FLAGS--ntp}
classpath_file=target/bench-classpath.txt
# shellcheck disable=SC2086
mvn $MVN_FLAGS -B -q -Pbench -DskipTests test-compile dependency:build-classpath \
    -Dmdep.includeScope=test -Dmdep.outputFile="$classpath_file"

java_args=(-Dlogback.configurationFile=bench/logback-bench.xml)
if [[ -n "${BENCH_DB_URL:-}" ]]; then
    java_args+=("-Dbench.db.url=$BENCH_DB_URL")
fi
# JMH forks one JVM per benchmark; a fork inherits this JVM's -D options.
exec java "${java_args[@]}" -cp "target/test-classes:target/classes:$(cat "$classpath_file")" \
    org.openjdk.jmh.Main "$@"
