#!/usr/bin/env bash
# Load balancer benchmark: HAProxy, our LoadBalancer (Release) and the floor (bench/MinimalYarp: YARP with nothing
# else) in front of the same nginx static backend, measured with wrk in interleaved rounds on this machine, so all
# see the same noise. Not a test: it prints a table with the ratios (targets: >= 1.0x HAProxy's requests/s, p99 <=
# 1.5x HAProxy's) and keeps it under bench/results/. See bench/README.md.
#
#   bench/run.sh [ROUNDS] [SECONDS]        defaults: 3 rounds of 10 s each, wrk -t2 -c64
#
# Needs wrk, haproxy and nginx on PATH (Debian: apt-get install -y wrk haproxy nginx); installs nothing itself.
set -euo pipefail

ROUNDS=${1:-3}
DURATION=${2:-10}
THREADS=${WRK_THREADS:-2}
CONNECTIONS=${WRK_CONNECTIONS:-64}
# .NET compiles the hot path in tiers while it runs: under load the LB was still JIT-compiling ~100 methods a second
# 20-40 s in (DOTNET_JitDisasmSummary), and bench/warmup.sh shows its CPU per request settling only 40-50 s into the
# load on this loaded 2-core machine (515 -> ~165 µs). 60 s covers that, so the rounds measure the steady state.
# Every contender gets the same warm-up.
WARMUP=${WARMUP_SECONDS:-60}
ROOT=$(cd "$(dirname "$0")/.." && pwd)

missing=()
for tool in wrk haproxy nginx dotnet; do
  command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "missing: ${missing[*]} (Debian: apt-get install -y wrk haproxy nginx; dotnet from the repo's global.json)" >&2
  exit 1
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
HAPROXY=$(command -v haproxy || echo /usr/sbin/haproxy)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null \
  || shuf -i 20000-60000 -n 1; }
BACKEND_PORT=$(free_port); HAPROXY_PORT=$(free_port); LB_PORT=$(free_port); LB_ADMIN_PORT=$(free_port); FLOOR_PORT=$(free_port)

WORK=$(mktemp -d /tmp/foobar-bench.XXXXXX)
# nginx workers run as an unprivileged user when started by root: they must be able to read the page.
chmod 755 "$WORK"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

echo "building the load balancer (Release)..."
dotnet build "$ROOT/src/LoadBalancer" -c Release -nologo -v q >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; exit 1; }
LB_DLL="$ROOT/src/LoadBalancer/bin/Release/net10.0/LoadBalancer.dll"
dotnet build "$ROOT/bench/MinimalYarp" -c Release -nologo -v q >>"$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; exit 1; }
FLOOR_DLL="$ROOT/bench/MinimalYarp/bin/Release/net10.0/MinimalYarp.dll"

# The backend: nginx serving one small static page (the site's index size class), one worker so it does not
# take the cores the proxies are measured on. access_log off: the proxies are measured, not disk writes.
# shellcheck source=bench/lib/nginx-backend.sh
. "$ROOT/bench/lib/nginx-backend.sh"
start_static_backend "$WORK" "$BACKEND_PORT" "$NGINX"

# HAProxy as one would run it in front of web servers: HTTP mode, keep-alive both sides, health checks
# (inter 2s rise 2 fall 3, as our defaults), default thread count (one per core), no logging.
cat > "$WORK/haproxy.cfg" <<HAPROXY
global
  # 2 descriptors per connection must fit under the open-file limit (20000 here).
  maxconn 4096
defaults
  mode http
  timeout connect 2s
  timeout client 30s
  timeout server 30s
  option http-keep-alive
frontend www
  bind 127.0.0.1:$HAPROXY_PORT
  default_backend web
backend web
  http-reuse always
  option httpchk GET /health/ready
  server web-1 127.0.0.1:$BACKEND_PORT check inter 2s rise 2 fall 3
HAPROXY
"$HAPROXY" -q -f "$WORK/haproxy.cfg" &
PIDS+=($!)

# Our load balancer, Release build, with the bench settings from bench/loadbalancer.env (each one explained there).
set -a
# shellcheck disable=SC1091
. "$ROOT/bench/loadbalancer.env"
set +a
Admin__Url="http://127.0.0.1:$LB_ADMIN_PORT" Public__HttpUrl="http://127.0.0.1:$LB_PORT" Public__HttpsUrl="" \
  WebServers__Destinations__0="http://127.0.0.1:$BACKEND_PORT" Node__Name=lb-bench \
  dotnet "$LB_DLL" >"$WORK/lb.log" 2>&1 &
PIDS+=($!)
ASPNETCORE_URLS="http://127.0.0.1:$FLOOR_PORT" BENCH_BACKEND="http://127.0.0.1:$BACKEND_PORT" \
  dotnet "$FLOOR_DLL" >"$WORK/floor.log" 2>&1 &
PIDS+=($!)

wait_for() {
  for _ in $(seq 1 100); do
    curl -sf -o /dev/null "$1" && return 0
    sleep 0.1
  done
  echo "not answering: $1" >&2; tail -20 "$WORK/lb.log" >&2; exit 1
}
wait_for "http://127.0.0.1:$BACKEND_PORT/"
wait_for "http://127.0.0.1:$HAPROXY_PORT/"
wait_for "http://127.0.0.1:$LB_PORT/"
wait_for "http://127.0.0.1:$FLOOR_PORT/"

# measure URL SECONDS -> "requests_per_second p99_ms errors"; median; ratio.
# shellcheck source=bench/lib/wrk.sh
. "$ROOT/bench/lib/wrk.sh"
# shellcheck source=bench/lib/results.sh
. "$ROOT/bench/lib/results.sh"
export THREADS CONNECTIONS
RESULTS_COMMAND="bench/run.sh $ROUNDS $DURATION (wrk -t$THREADS -c$CONNECTIONS)" results_open loadbalancer "$ROOT"
results_row round haproxy_rps haproxy_p99_ms haproxy_errors foobar_rps foobar_p99_ms foobar_errors floor_rps floor_p99_ms floor_errors rps_ratio p99_ratio floor_rps_ratio

URLS=("http://127.0.0.1:$HAPROXY_PORT/" "http://127.0.0.1:$LB_PORT/" "http://127.0.0.1:$FLOOR_PORT/")
echo "warming up each (${WARMUP} s)..."
for url in "${URLS[@]}"; do measure "$url" "$WARMUP" >/dev/null; done

results_print "\nwrk -t%s -c%s, %s rounds x %s s, interleaved, after %s s of warm-up each; backend nginx on 127.0.0.1:%s\n" "$THREADS" "$CONNECTIONS" "$ROUNDS" "$DURATION" "$WARMUP" "$BACKEND_PORT"
results_print "floor: bench/MinimalYarp, YARP alone (no logging, metrics, tracing, election or health checks)\n\n"
header="%-6s | %13s %8s %6s | %13s %8s %6s | %13s %8s %6s | %7s %6s %7s %5s\n"
results_print "$header" round "haproxy req/s" "p99 ms" errors "foobar req/s" "p99 ms" errors "floor req/s" "p99 ms" errors "req/s x" "p99 x" "floor x" load
line="-------+------------------------------+------------------------------+------------------------------+----------------------------"
results_print "%s\n" "$line"
declare -a H_RPS H_P99 L_RPS L_P99 F_RPS F_P99 R_RPS R_P99 R_FLOOR
for round in $(seq 1 "$ROUNDS"); do
  mapfile -t got < <(measure_rotated "$round" "$DURATION" "${URLS[@]}")
  read -r hr hp he <<<"${got[0]}"; read -r lr lp le <<<"${got[1]}"; read -r fr fp fe <<<"${got[2]}"
  H_RPS+=("$hr"); H_P99+=("$hp"); L_RPS+=("$lr"); L_P99+=("$lp"); F_RPS+=("$fr"); F_P99+=("$fp")
  rr=$(ratio "$lr" "$hr"); pr=$(ratio "$lp" "$hp"); fx=$(ratio "$fr" "$hr")
  R_RPS+=("$rr"); R_P99+=("$pr"); R_FLOOR+=("$fx")
  results_print "$header" "$round" "$hr" "$hp" "$he" "$lr" "$lp" "$le" "$fr" "$fp" "$fe" "$rr" "$pr" "$fx" "$(cut -d' ' -f1 /proc/loadavg)"
  results_row "$round" "$hr" "$hp" "$he" "$lr" "$lp" "$le" "$fr" "$fp" "$fe" "$rr" "$pr" "$fx"
done

hr=$(median "${H_RPS[@]}"); hp=$(median "${H_P99[@]}"); lr=$(median "${L_RPS[@]}"); lp=$(median "${L_P99[@]}")
fr=$(median "${F_RPS[@]}"); fp=$(median "${F_P99[@]}")
rr=$(median "${R_RPS[@]}"); pr=$(median "${R_P99[@]}"); fx=$(median "${R_FLOOR[@]}")
results_print "%s\n" "$line"
results_print "$header" median "$hr" "$hp" "" "$lr" "$lp" "" "$fr" "$fp" "" "$rr" "$pr" "$fx" ""
results_row median "$hr" "$hp" "" "$lr" "$lp" "" "$fr" "$fp" "" "$rr" "$pr" "$fx"
results_print "load average at the end: %s on %s cores\n" "$(cut -d' ' -f1-3 /proc/loadavg)" "$(nproc)"
results_print "%s\n" "$(awk -v rr="$rr" -v pr="$pr" -v fx="$fx" 'BEGIN {
  printf "\nfoobar / haproxy (median of the per-round ratios): requests/s %.2fx (target >= 1.00x: %s), p99 %.2fx (target <= 1.50x: %s)\n",
    rr, ((rr >= 1.0) ? "met" : "NOT met"), pr, ((pr <= 1.5) ? "met" : "NOT met");
  printf "floor / haproxy: requests/s %.2fx; foobar / floor: %.2fx (what our features cost per request)\n", fx, (fx > 0) ? rr / fx : 0 }')"
results_close
