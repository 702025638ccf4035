#!/usr/bin/env bash
# Load balancer benchmark: HAProxy and our LoadBalancer (Release) in front of the same nginx static backend,
# measured with wrk in interleaved rounds on this machine, so both see the same noise. Not a test: it prints a
# table with the ratios (targets: >= 1.0x HAProxy's requests/s, p99 <= 1.5x HAProxy's) and keeps it under bench/results/.
# See bench/README.md.
#
#   bench/run.sh [ROUNDS] [SECONDS]        defaults: 3 rounds of 10 s each, wrk -t2 -c64
#
# Needs wrk, haproxy and nginx on PATH (Debian: apt-get install -y wrk haproxy nginx); installs nothing itself.
set -euo pipefail

ROUNDS=${1:-3}
DURATION=${2:-10}
THREADS=${WRK_THREADS:-2}
CONNECTIONS=${WRK_CONNECTIONS:-64}
WARMUP=${WARMUP_SECONDS:-3}
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
BACKEND_PORT=$(free_port); HAPROXY_PORT=$(free_port); LB_PORT=$(free_port); LB_ADMIN_PORT=$(free_port)

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

# measure URL SECONDS -> "requests_per_second p99_ms errors"; median; ratio.
# shellcheck source=bench/lib/wrk.sh
. "$ROOT/bench/lib/wrk.sh"
# shellcheck source=bench/lib/results.sh
. "$ROOT/bench/lib/results.sh"
export THREADS CONNECTIONS
RESULTS_COMMAND="bench/run.sh $ROUNDS $DURATION (wrk -t$THREADS -c$CONNECTIONS)" results_open loadbalancer "$ROOT"
results_row round haproxy_rps haproxy_p99_ms haproxy_errors foobar_rps foobar_p99_ms foobar_errors rps_ratio p99_ratio

echo "warming up both (${WARMUP} s each)..."
measure "http://127.0.0.1:$HAPROXY_PORT/" "$WARMUP" >/dev/null
measure "http://127.0.0.1:$LB_PORT/" "$WARMUP" >/dev/null

results_print "\nwrk -t%s -c%s, %s rounds x %s s, interleaved; backend nginx on 127.0.0.1:%s\n\n" "$THREADS" "$CONNECTIONS" "$ROUNDS" "$DURATION" "$BACKEND_PORT"
results_print "%-6s | %14s %10s %7s | %14s %10s %7s | %7s %7s %5s\n" round "haproxy req/s" "p99 ms" errors "foobar req/s" "p99 ms" errors "req/s x" "p99 x" load
line="-------+---------------------------------+---------------------------------+----------------------"
results_print "%s\n" "$line"
declare -a H_RPS H_P99 L_RPS L_P99 R_RPS R_P99
for round in $(seq 1 "$ROUNDS"); do
  # Alternate which goes first, so neither always runs on a machine warmed (or throttled) by the other.
  if (( round % 2 )); then
    read -r hr hp he < <(measure "http://127.0.0.1:$HAPROXY_PORT/" "$DURATION")
    read -r lr lp le < <(measure "http://127.0.0.1:$LB_PORT/" "$DURATION")
  else
    read -r lr lp le < <(measure "http://127.0.0.1:$LB_PORT/" "$DURATION")
    read -r hr hp he < <(measure "http://127.0.0.1:$HAPROXY_PORT/" "$DURATION")
  fi
  H_RPS+=("$hr"); H_P99+=("$hp"); L_RPS+=("$lr"); L_P99+=("$lp")
  # The ratio within a round compares two runs seconds apart; on a shared machine it is steadier than either figure.
  rr=$(awk -v a="$lr" -v b="$hr" 'BEGIN { printf "%.2f", a / b }'); pr=$(awk -v a="$lp" -v b="$hp" 'BEGIN { printf "%.2f", a / b }')
  R_RPS+=("$rr"); R_P99+=("$pr")
  results_print "%-6s | %14s %10s %7s | %14s %10s %7s | %7s %7s %5s\n" "$round" "$hr" "$hp" "$he" "$lr" "$lp" "$le" "$rr" "$pr" "$(cut -d' ' -f1 /proc/loadavg)"
  results_row "$round" "$hr" "$hp" "$he" "$lr" "$lp" "$le" "$rr" "$pr"
done

hr=$(median "${H_RPS[@]}"); hp=$(median "${H_P99[@]}"); lr=$(median "${L_RPS[@]}"); lp=$(median "${L_P99[@]}")
rr=$(median "${R_RPS[@]}"); pr=$(median "${R_P99[@]}")
results_print "%s\n" "$line"
results_print "%-6s | %14s %10s %7s | %14s %10s %7s | %7s %7s\n" median "$hr" "$hp" "" "$lr" "$lp" "" "$rr" "$pr"
results_row median "$hr" "$hp" "" "$lr" "$lp" "" "$rr" "$pr"
results_print "load average at the end: %s on %s cores\n" "$(cut -d' ' -f1-3 /proc/loadavg)" "$(nproc)"
results_print "%s\n" "$(awk -v rr="$rr" -v pr="$pr" 'BEGIN {
  printf "\nfoobar / haproxy (median of the per-round ratios): requests/s %.2fx (target >= 1.00x: %s), p99 %.2fx (target <= 1.50x: %s)\n",
    rr, ((rr >= 1.0) ? "met" : "NOT met"), pr, ((pr <= 1.5) ? "met" : "NOT met") }')"
results_close
