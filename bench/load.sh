#!/usr/bin/env bash
# Load harness (src/jmh/java/io/railyard/bench/LoadHarness.java): starts a hub, drives it over HTTP on loopback,
# prints throughput, latency percentiles and accept -> SETTLED times, then stops the hub.
#
#   bench/load.sh --rate 200 --seconds 30                      # hub with embedded PostgreSQL + Kafka (fresh data)
#   BENCH_DB_URL=jdbc:postgresql://127.0.0.1:5432/railyard_load?user=postgres bench/load.sh --rate 500
#                                                              # hub on that (durable) server, database re-created
#   BENCH_HUB_URL=http://localhost:8080 bench/load.sh ...     # an already running hub (ops:ops-local-only)
#
# Harness options: --rate N (requests/s), --seconds N, --partners N (requests spread over N funded partners; 1 = a hot
# balance account), --mix pix=30,spei=30,circle=20,base=20,
# --batch-every N --batch-size M (every Nth request is a batch of M), --replay 0.05 (share of idempotent replays),
# --max-in-flight N, --connections N (kept-alive connections to the hub, 64), --settle-wait S (0 skips waiting for
# settlement), --ops user:password, --warmup S (the same load for S seconds first, left out of the figures; its
# transfers settle before the measured run; a hub's JIT compiler works through its first 4 minutes or so, so
# --warmup 300 for a warm hub's CPU per transfer). A hub started here also reports its CPU time per accepted request,
# and per settled transfer until every transfer is final; the harness reports its own CPU per request sent.
# MVN_FLAGS defaults to -ntp (Maven may download); MVN_FLAGS=-o runs offline. HUB_JAVA_OPTS tunes the hub's JVM;
# HUB_ARGS adds hub arguments, e.g. accept-only (no outbox relay, so nothing leaves ACCEPTED):
#   HUB_ARGS='--camel.main.routes-include-pattern=file:routes/error-handling.camel.yaml,file:routes/idempotency.camel.yaml'
# BENCH_SPLIT=1 runs the Kafka broker (io.railyard.bench.BenchBroker) and the rail sandboxes (a second hub on port
# BENCH_SANDBOX_PORT, 18090, whose own embedded servers stay idle) in processes of their own, and reports their CPU
# beside the hub's: the hub's figure is then its own work alone.
set -euo pipefail
cd "$(dirname "$0")/.."

MVN_FLAGS=${MVN_FLAGS--ntp}
classpath_file=target/bench-classpath.txt
# shellcheck disable=SC2086
mvn $MVN_FLAGS -B -q -Pbench -DskipTests test-compile dependency:build-classpath \
    -Dmdep.includeScope=test -Dmdep.outputFile="$classpath_file"
classpath="target/test-classes:target/classes:$(cat "$classpath_file")"

hub_url=${BENCH_HUB_URL:-}
if [[ -z "$hub_url" ]]; then
    port=${BENCH_HUB_PORT:-18080}
    hub_url="http://localhost:$port"
    data_dir=target/load-data
    rm -rf "$data_dir"
    hub_args=(--spring.profiles.active=local "--server.port=$port" "--railyard.local.data-dir=$data_dir"
              --logging.level.root=WARN --logging.level.io.railyard=WARN)
    if [[ -n "${BENCH_DB_URL:-}" ]]; then
        db=$(sed -E 's|.*/([^/?]+)(\?.*)?$|\1|' <<<"$BENCH_DB_URL")
        psql -h 127.0.0.1 -U postgres -qc "drop database if exists $db" -c "create database $db" postgres
        hub_args+=("--railyard.db.url=$BENCH_DB_URL")
    fi
    side_pids=()
    trap 'kill ${hub_pid:-} "${side_pids[@]}" 2>/dev/null; wait 2>/dev/null || true' EXIT
    if [[ "${BENCH_SPLIT:-0}" == 1 ]]; then
        java -Xmx1g -cp "$classpath" io.railyard.bench.BenchBroker > target/load-broker.log 2>&1 &
        broker_pid=$!
        side_pids+=("$broker_pid")
        sandbox_port=${BENCH_SANDBOX_PORT:-18090}
        rm -rf target/load-sandbox-data
        java -Xmx1g -cp "$classpath" io.railyard.RailyardApplication --spring.profiles.active=local \
            "--server.port=$sandbox_port" --railyard.local.data-dir=target/load-sandbox-data \
            --logging.level.root=WARN > target/load-sandboxes.log 2>&1 &
        sandbox_pid=$!
        side_pids+=("$sandbox_pid")
        until grep -q '^brokers ' target/load-broker.log; do
            kill -0 "$broker_pid" 2>/dev/null || { echo "broker failed to start, see target/load-broker.log"; exit 1; }
            sleep 0.2
        done
        until curl -sf "http://localhost:$sandbox_port/actuator/health" >/dev/null 2>&1; do
            kill -0 "$sandbox_pid" 2>/dev/null || { echo "sandboxes failed to start, see target/load-sandboxes.log"; exit 1; }
            sleep 0.2
        done
        sandboxes="http://localhost:$sandbox_port/sandbox"
        hub_args+=("--railyard.kafka.brokers=$(sed -n 's/^brokers //p' target/load-broker.log)"
                   "--railyard.connectors.pix.base-url=$sandboxes/pix" "--railyard.connectors.spei.base-url=$sandboxes/spei"
                   "--railyard.connectors.circle-usdc.base-url=$sandboxes/circle"
                   "--railyard.connectors.base-usdc.rpc-url=$sandboxes/base/rpc")
        echo "Broker (pid $broker_pid) and sandboxes (pid $sandbox_pid, port $sandbox_port) up in processes of their own"
        set -- --side-pids "broker=$broker_pid,sandboxes=$sandbox_pid" "$@"
    fi
    # shellcheck disable=SC2086
    java ${HUB_JAVA_OPTS:--Xmx2g} -cp "$classpath" io.railyard.RailyardApplication "${hub_args[@]}" ${HUB_ARGS:-} \
        > target/load-hub.log 2>&1 &
    hub_pid=$!
    started=$(date +%s%N)
    until curl -sf "$hub_url/actuator/health" >/dev/null 2>&1; do
        kill -0 $hub_pid 2>/dev/null || { echo "hub failed to start, see target/load-hub.log"; exit 1; }
        sleep 0.2
    done
    echo "Hub up (health UP) in $(( ($(date +%s%N) - started) / 1000000 )) ms; log in target/load-hub.log"
    set -- --hub-pid "$hub_pid" "$@"
fi

java -Dlogback.configurationFile=bench/logback-bench.xml -cp "$classpath" io.railyard.bench.LoadHarness \
    --url "$hub_url" "$@"
