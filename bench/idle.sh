#!/usr/bin/env bash
# What an idle hub costs: starts a hub (the embedded default: PostgreSQL and Kafka embedded, the broker in the hub's
# JVM, fresh data), leaves it alone --settle seconds after it is ready, then prints its CPU time over --seconds
# (utime + stime from /proc) as CPU seconds per minute. Arguments after -- go to the hub, e.g. a connector parameter:
#
#   bench/idle.sh                                   # 90 s to settle, 120 s measured
#   bench/idle.sh --seconds 300 -- --railyard.connectors.pix.refund-consumers=8
#
# MVN_FLAGS defaults to -ntp (Maven may download); MVN_FLAGS=-o runs offline. Run it on a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."

settle=90 seconds=120
while [[ $# -gt 0 ]]; do
    case "$1" in
        --settle) settle=$2; shift 2 ;;
        --seconds) seconds=$2; shift 2 ;;
        --) shift; break ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done

MVN_FLAGS=${MVN_FLAGS--ntp}
classpath_file=target/bench-classpath.txt
# shellcheck disable=SC2086
mvn $MVN_FLAGS -B -q -DskipTests compile dependency:build-classpath -Dmdep.outputFile="$classpath_file"
port=${BENCH_HUB_PORT:-18080}
java -Xmx768m -cp "target/classes:$(cat "$classpath_file")" io.railyard.RailyardApplication \
    --spring.profiles.active=local "--server.port=$port" --railyard.local.data-dir= --logging.level.root=WARN "$@" \
    > target/idle-hub.log 2>&1 &
hub=$!
trap 'kill $hub 2>/dev/null || true' EXIT
began=$(date +%s)
until curl -sf "http://localhost:$port/actuator/health/readiness" > /dev/null; do
    kill -0 $hub 2>/dev/null || { echo "the hub exited; see target/idle-hub.log" >&2; exit 1; }
    sleep 0.2
done
echo "ready in $(( $(date +%s) - began )) s; idle for ${settle} s, then measured for ${seconds} s"
sleep "$settle"
ticks() { awk '{print $14 + $15}' "/proc/$hub/stat"; }
before=$(ticks)
sleep "$seconds"
after=$(ticks)
hz=$(getconf CLK_TCK)
echo "idle hub: $(echo "scale=2; ($after - $before) / $hz * 60 / $seconds" | bc) s of CPU per minute" \
    "($(ls "/proc/$hub/task" | wc -l) threads)"
