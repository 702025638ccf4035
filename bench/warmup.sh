#!/usr/bin/env bash
# How long the load balancer takes to reach its steady speed from a cold start: wrk in consecutive windows against a
# freshly started LB (Release, bench/loadbalancer.env), with per window the requests/s, the LB's CPU per request
# (user + system from /proc) and the methods the JIT compiled (DOTNET_JitDisasmSummary). A Backup that takes over
# starts cold like this, and bench/run.sh's warm-up must cover this time to measure the steady state. Not a test.
#
#   bench/warmup.sh [WINDOWS] [SECONDS] [VARIANTS]   defaults: 9 windows of 10 s; variants "default"
#
# A variant is "default" or one VAR=value for the LB's environment, e.g. "default DOTNET_TieredPGO=0"; each variant
# gets a fresh process, run in turn. Needs wrk and nginx (Debian: apt-get install -y wrk nginx).
set -euo pipefail

WINDOWS=${1:-9}
SECONDS_PER_WINDOW=${2:-10}
VARIANTS=${3:-default}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
for tool in wrk dotnet; do command -v "$tool" >/dev/null || { echo "missing: $tool (apt-get install -y wrk nginx)" >&2; exit 1; }; done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
BACKEND_PORT=$(free_port); LB_PORT=$(free_port); LB_ADMIN_PORT=$(free_port)
WORK=$(mktemp -d /tmp/foobar-warmup.XXXXXX)
chmod 755 "$WORK"
LB_PID=
cleanup() {
  [ -n "$LB_PID" ] && kill "$LB_PID" 2>/dev/null || true
  [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

dotnet build "$ROOT/src/LoadBalancer" -c Release -nologo -v q >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; exit 1; }
# shellcheck source=bench/lib/nginx-backend.sh
. "$ROOT/bench/lib/nginx-backend.sh"
start_static_backend "$WORK" "$BACKEND_PORT" "$NGINX"
set -a
# shellcheck disable=SC1091
. "$ROOT/bench/loadbalancer.env"
set +a
# shellcheck source=bench/lib/results.sh
. "$ROOT/bench/lib/results.sh"
# shellcheck source=bench/lib/cpu.sh
. "$ROOT/bench/lib/cpu.sh"
RESULTS_COMMAND="bench/warmup.sh $WINDOWS $SECONDS_PER_WINDOW \"$VARIANTS\" (wrk -t2 -c64)" results_open warmup "$ROOT"
results_row variant window requests_per_second cpu_us_per_request jit_methods
results_print "Each cell: requests/s, the LB's CPU µs per request, methods JIT-compiled in that %s s window.\n\n" "$SECONDS_PER_WINDOW"

for variant in $VARIANTS; do
  setting=$([ "$variant" = default ] && echo "FOOBAR_BENCH_VARIANT=default" || echo "$variant")
  : > "$WORK/jit.txt"
  env "$setting" DOTNET_JitStdOutFile="$WORK/jit.txt" DOTNET_JitDisasmSummary=1 \
    Admin__Url="http://127.0.0.1:$LB_ADMIN_PORT" Public__HttpUrl="http://127.0.0.1:$LB_PORT" Public__HttpsUrl="" \
    WebServers__Destinations__0="http://127.0.0.1:$BACKEND_PORT" Node__Name=lb-bench \
    dotnet "$ROOT/src/LoadBalancer/bin/Release/net10.0/LoadBalancer.dll" >"$WORK/lb.log" 2>&1 &
  LB_PID=$!
  for _ in $(seq 1 100); do curl -sf -o /dev/null "http://127.0.0.1:$LB_PORT/" && break; sleep 0.1; done
  line=$(printf "%-22s" "$variant")
  for window in $(seq 1 "$WINDOWS"); do
    jit0=$(wc -l < "$WORK/jit.txt"); cpu0=$(cpu_ticks "$LB_PID")
    rps=$(wrk -t2 -c64 -d"${SECONDS_PER_WINDOW}s" "http://127.0.0.1:$LB_PORT/" | awk '/Requests\/sec/ {printf "%.0f", $2}')
    jit1=$(wc -l < "$WORK/jit.txt"); cpu1=$(cpu_ticks "$LB_PID")
    us=$(cpu_us_per_request "$cpu0" "$cpu1" "$rps" "$SECONDS_PER_WINDOW")
    line="$line $(printf "%15s" "$rps/${us}us/$((jit1 - jit0))")"
    results_row "$variant" "$window" "$rps" "$us" "$((jit1 - jit0))"
  done
  results_print "%s   (load %s)\n" "$line" "$(cut -d' ' -f1 /proc/loadavg)"
  kill "$LB_PID"; wait "$LB_PID" 2>/dev/null || true; LB_PID=
done
results_close
