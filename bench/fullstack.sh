#!/usr/bin/env bash
# Full-stack benchmark: the whole foobar stack started by the Launcher (lb -> web -> app -> PostgreSQL, Release)
# beside an anchor stack built from the classic parts, HAProxy -> nginx (static files + proxy of /api/) -> the SAME
# app servers, and the floor, the cheapest two .NET hops (bench/MinimalYarp -> bench/MinimalWeb -> the same app
# servers), measured with wrk in interleaved rounds in one run. Not a test: it prints a table with the ratios
# (target: >= 0.8x the anchor's requests/s on both the home page and GET /api/messages) and keeps it under
# bench/results/. See bench/README.md.
#
#   bench/fullstack.sh [ROUNDS] [SECONDS]      defaults: 3 rounds of 10 s, wrk -t2 -c32
#
# Needs wrk, haproxy, nginx (Debian: apt-get install -y wrk haproxy nginx) and PostgreSQL's server binaries.
set -euo pipefail

ROUNDS=${1:-3}
DURATION=${2:-10}
export THREADS=${WRK_THREADS:-2} CONNECTIONS=${WRK_CONNECTIONS:-32}
# One web server by default, as the anchor has one nginx: on 2 cores, spreading the LB's traffic over two backends
# costs it about half its rate (measured with two nginx backends: 21.8k -> 11.9k req/s), which would measure the
# machine's scheduling, not the stack. FULLSTACK_WEB=2 gives the Launcher's default topology.
WEB=${FULLSTACK_WEB:-1}
# FULLSTACK_HOP=web measures each stack's second hop alone, hit directly: nginx, our web-1 and bench/MinimalWeb (the
# same files; /api/ still forwarded to the same app servers), to tell the web tier's share of the gap from the LB's.
HOP=${FULLSTACK_HOP:-stack}
[ "$HOP" = stack ] || [ "$HOP" = web ] || { echo "FULLSTACK_HOP is 'stack' (default) or 'web', not '$HOP'" >&2; exit 1; }
WARMUP=${WARMUP_SECONDS:-60}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib/wrk.sh
. "$ROOT/bench/lib/wrk.sh"
# shellcheck source=bench/lib/results.sh
. "$ROOT/bench/lib/results.sh"
# shellcheck source=bench/lib/cpu.sh
. "$ROOT/bench/lib/cpu.sh"

for tool in wrk curl python3; do command -v "$tool" >/dev/null || { echo "missing: $tool" >&2; exit 1; }; done
NGINX=$(command -v nginx || echo /usr/sbin/nginx); HAPROXY=$(command -v haproxy || echo /usr/sbin/haproxy)
[ -x "$NGINX" ] && [ -x "$HAPROXY" ] || { echo "missing: nginx/haproxy (apt-get install -y nginx haproxy)" >&2; exit 1; }

WORK=$(mktemp -d /tmp/foobar-fullstack.XXXXXX)
chmod 755 "$WORK"
BASE=$(( 30000 + RANDOM % 20000 ))
HTTP_PORT=$BASE; ANCHOR_PORT=$((BASE + 1)); NGINX_PORT=$((BASE + 2))
# The Launcher derives more ports from the ones given to it below (management ports among them): let the kernel pick
# the floor's, outside that range.
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
FLOOR_PORT=$(free_port); FLOOR_WEB_PORT=$(free_port)
LAUNCHER_PID=; FLOOR_PIDS=()
cleanup() {
  [ -n "$LAUNCHER_PID" ] && kill -TERM "$LAUNCHER_PID" 2>/dev/null && wait "$LAUNCHER_PID" 2>/dev/null || true
  for pid in "${FLOOR_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -f "$WORK/haproxy.pid" ] && kill "$(cat "$WORK/haproxy.pid")" 2>/dev/null || true
  [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

echo "building the stack (Release)..."
for project in src/Launcher bench/MinimalYarp bench/MinimalWeb; do
  dotnet build "$ROOT/$project" -c Release -nologo -v q >>"$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; exit 1; }
done

# The services inherit the Launcher's environment: the same bench settings as bench/run.sh (no per-request
# Information logs on the hot path, inline socket completions), applied to every tier.
set -a
# shellcheck disable=SC1091
. "$ROOT/bench/loadbalancer.env"
set +a
echo "starting the foobar stack on 127.0.0.1:$HTTP_PORT..."
dotnet "$ROOT/src/Launcher/bin/Release/net10.0/Launcher.dll" --data-dir "$WORK/stack" --web "$WEB" \
  --http-port "$HTTP_PORT" --https-port $((BASE + 3)) --admin-port $((BASE + 4)) --election-port $((BASE + 6)) \
  --app-port $((BASE + 10)) --web-port $((BASE + 30)) --postgres-port $((BASE + 8)) </dev/null >"$WORK/launcher.log" 2>&1 &
LAUNCHER_PID=$!
for _ in $(seq 1 600); do
  python3 -c "import json,sys; sys.exit(0 if json.load(open('$WORK/stack/stack.json'))['ready'] else 1)" 2>/dev/null && break
  kill -0 "$LAUNCHER_PID" 2>/dev/null || { cat "$WORK/launcher.log"; exit 1; }
  sleep 0.5
done
APP_SERVERS=$(python3 -c "
import json
for n in json.load(open('$WORK/stack/stack.json'))['nodes']:
    if n['role'] == 'app': print('    server %s;' % n['urls'][0].replace('http://', ''))")

# Twenty messages, so GET /api/messages returns a full first page from both stacks.
for i in $(seq 1 25); do
  curl -sf -o /dev/null -X POST "http://127.0.0.1:$HTTP_PORT/api/messages" -H 'Content-Type: application/json' \
    -d "{\"author\":\"bench\",\"text\":\"message $i\"}"
done

# The anchor: nginx serves the same static files (the site as published: index.html, css, js) and proxies /api/ to
# the same app servers with keep-alive; HAProxy in front of it as a load balancer would be.
mkdir -p "$WORK/www"
cp -r "$ROOT/src/WebServer/wwwroot/." "$WORK/www/"
chmod -R a+rX "$WORK/www"
cat > "$WORK/nginx.conf" <<NGINX
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  include /etc/nginx/mime.types;
  keepalive_requests 100000;
  gzip off;
  upstream app {
$APP_SERVERS
    keepalive 64;
  }
  server {
    listen 127.0.0.1:$NGINX_PORT;
    root $WORK/www;
    location /api/ { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
NGINX
"$NGINX" -c "$WORK/nginx.conf" -p "$WORK"
cat > "$WORK/haproxy.cfg" <<HAPROXY
global
  maxconn 4096
  pidfile $WORK/haproxy.pid
defaults
  mode http
  timeout connect 2s
  timeout client 30s
  timeout server 30s
  option http-keep-alive
frontend www
  bind 127.0.0.1:$ANCHOR_PORT
  default_backend web
backend web
  http-reuse always
  server web-1 127.0.0.1:$NGINX_PORT check inter 2s rise 2 fall 3
HAPROXY
"$HAPROXY" -q -D -f "$WORK/haproxy.cfg"

# The floor: the same files and the same app servers behind the least two ASP.NET processes can do, with the same
# runtime settings (bench/loadbalancer.env, exported above) as our tiers.
APP_URLS=$(python3 -c "
import json
print(','.join(n['urls'][0] for n in json.load(open('$WORK/stack/stack.json'))['nodes'] if n['role'] == 'app'))")
ASPNETCORE_URLS="http://127.0.0.1:$FLOOR_WEB_PORT" BENCH_WWWROOT="$WORK/www" BENCH_APP_SERVERS="$APP_URLS" \
  dotnet "$ROOT/bench/MinimalWeb/bin/Release/net10.0/MinimalWeb.dll" >"$WORK/floor-web.log" 2>&1 &
FLOOR_PIDS+=($!)
ASPNETCORE_URLS="http://127.0.0.1:$FLOOR_PORT" BENCH_BACKEND="http://127.0.0.1:$FLOOR_WEB_PORT" \
  dotnet "$ROOT/bench/MinimalYarp/bin/Release/net10.0/MinimalYarp.dll" >"$WORK/floor-lb.log" 2>&1 &
FLOOR_PIDS+=($!)
for _ in $(seq 1 100); do curl -sf -o /dev/null "http://127.0.0.1:$FLOOR_PORT/api/messages" && break; sleep 0.1; done
curl -sf -o /dev/null "http://127.0.0.1:$FLOOR_PORT/" || { echo "the floor stack does not answer" >&2; cat "$WORK"/floor-*.log >&2; exit 1; }
sleep 1

# Who does each stack's work, for the CPU per request by hop: the edge and the web hop of each stack, then the app
# servers and PostgreSQL, which all three share (a PostgreSQL backend is forked per connection, so its processes are
# listed again at each measurement).
stack_pids() { python3 -c "
import json
print(' '.join(str(n['pid']) for n in json.load(open('$WORK/stack/stack.json'))['nodes'] if n['name'] == '$1' or n['role'] == '$1'))"; }
EDGE_PIDS=("$(cat "$WORK/haproxy.pid")" "$(stack_pids lb-1)" "${FLOOR_PIDS[1]}")
WEB_PIDS=("$(cat "$WORK/nginx.pid") $(pgrep -P "$(cat "$WORK/nginx.pid")" | tr '\n' ' ')" "$(stack_pids web)" "${FLOOR_PIDS[0]}")
APP_PIDS=$(stack_pids app)
# The Launcher's PostgreSQL node is the process that runs the server as the postgres user (runuser, sh, postgres):
# the server and every backend are among its descendants.
DATABASE_ROOT=$(stack_pids postgres)
descendants() { local child; for child in $(pgrep -P "$1"); do echo "$child"; descendants "$child"; done; }
# hop_ticks INDEX DATABASE_PIDS -> the CPU ticks so far of stack INDEX's edge, its web hop, the app servers, PostgreSQL.
hop_ticks() {
  # shellcheck disable=SC2086 # lists of pids
  echo "$(cpu_ticks ${EDGE_PIDS[$1]}) $(cpu_ticks ${WEB_PIDS[$1]}) $(cpu_ticks $APP_PIDS) $(cpu_ticks $2)"
}
# measure_hops INDEX URL SECONDS -> "requests_per_second p99_ms errors edge_us web_us app_us db_us": one wrk run of
# stack INDEX (0 anchor, 1 foobar, 2 floor) and the CPU each of its hops spent per request meanwhile.
measure_hops() {
  local index=$1 url=$2 seconds=$3 database before after got rps i
  database=$(descendants "$DATABASE_ROOT" | tr '\n' ' ')
  read -r -a before <<<"$(hop_ticks "$index" "$database")"
  got=$(measure "$url" "$seconds")
  read -r -a after <<<"$(hop_ticks "$index" "$database")"
  rps=${got%% *}
  for i in 0 1 2 3; do got="$got $(cpu_us_per_request "${before[i]}" "${after[i]}" "$rps" "$seconds")"; done
  echo "$got"
}

WEB1_URL=$(python3 -c "
import json
print(next(n['urls'][0] for n in json.load(open('$WORK/stack/stack.json'))['nodes'] if n['role'] == 'web'))")

RESULTS_COMMAND="bench/fullstack.sh $ROUNDS $DURATION (wrk -t$THREADS -c$CONNECTIONS, FULLSTACK_WEB=$WEB, FULLSTACK_HOP=$HOP)" results_open fullstack "$ROOT"
results_row path round anchor_rps anchor_p99_ms anchor_errors foobar_rps foobar_p99_ms foobar_errors floor_rps floor_p99_ms floor_errors rps_ratio p99_ratio floor_rps_ratio \
  anchor_edge_us anchor_web_us anchor_app_us anchor_db_us foobar_edge_us foobar_web_us foobar_app_us foobar_db_us floor_edge_us floor_web_us floor_app_us floor_db_us
results_print "\nwrk -t%s -c%s, %s rounds x %s s, interleaved, after %s s of warm-up each; %s web server(s); app servers shared by all three stacks\n" "$THREADS" "$CONNECTIONS" "$ROUNDS" "$DURATION" "$WARMUP" "$WEB"
if [ "$HOP" = web ]; then
  results_print "the web tier alone, hit directly: anchor nginx, foobar web-1, floor bench/MinimalWeb (no logging, metrics, tracing, headers or health checks)\n\n"
else
  results_print "floor: bench/MinimalYarp -> bench/MinimalWeb, the cheapest two ASP.NET hops (no logging, metrics, tracing, headers or health checks)\n\n"
fi
header="%-15s %-6s | %13s %8s %6s | %13s %8s %6s | %13s %8s %6s | %7s %6s %7s %5s\n"
results_print "$header" path round "anchor req/s" "p99 ms" errors "foobar req/s" "p99 ms" errors "floor req/s" "p99 ms" errors "req/s x" "p99 x" "floor x" load
for path in / /api/messages; do
  URLS=("http://127.0.0.1:$ANCHOR_PORT$path" "http://127.0.0.1:$HTTP_PORT$path" "http://127.0.0.1:$FLOOR_PORT$path")
  [ "$HOP" = web ] && URLS=("http://127.0.0.1:$NGINX_PORT$path" "${WEB1_URL%/}$path" "http://127.0.0.1:$FLOOR_WEB_PORT$path")
  # Warm-up, the same for all: the .NET tiers compile their hot path in tiers while it runs (still ~100 methods a
  # second 20-40 s into a load, DOTNET_JitDisasmSummary), HAProxy and nginx do not. 60 s by default, as bench/run.sh:
  # bench/warmup.sh shows the LB's CPU per request settling only 40-50 s in.
  for url in "${URLS[@]}"; do measure "$url" "$WARMUP" >/dev/null; done
  R_RPS=(); R_P99=(); R_FLOOR=(); CPU_ROWS=()
  for round in $(seq 1 "$ROUNDS"); do
    mapfile -t got < <(MEASURE_ONE=measure_hops measure_rotated "$round" "$DURATION" "${URLS[@]}")
    read -r ar ap ae ac1 ac2 ac3 ac4 <<<"${got[0]}"; read -r fr fp fe fc1 fc2 fc3 fc4 <<<"${got[1]}"; read -r lr lp le lc1 lc2 lc3 lc4 <<<"${got[2]}"
    CPU_ROWS+=("$ac1 $ac2 $ac3 $ac4 $fc1 $fc2 $fc3 $fc4 $lc1 $lc2 $lc3 $lc4")
    rr=$(ratio "$fr" "$ar"); pr=$(ratio "$fp" "$ap"); fx=$(ratio "$lr" "$ar"); R_RPS+=("$rr"); R_P99+=("$pr"); R_FLOOR+=("$fx")
    results_print "$header" "$path" "$round" "$ar" "$ap" "$ae" "$fr" "$fp" "$fe" "$lr" "$lp" "$le" "$rr" "$pr" "$fx" "$(cut -d' ' -f1 /proc/loadavg)"
    results_row "$path" "$round" "$ar" "$ap" "$ae" "$fr" "$fp" "$fe" "$lr" "$lp" "$le" "$rr" "$pr" "$fx" $ac1 $ac2 $ac3 $ac4 $fc1 $fc2 $fc3 $fc4 $lc1 $lc2 $lc3 $lc4
  done
  rr=$(median "${R_RPS[@]}"); pr=$(median "${R_P99[@]}"); fx=$(median "${R_FLOOR[@]}")
  results_print "%-15s %-6s | %s\n" "$path" median "$(awk -v r="$rr" -v p="$pr" -v f="$fx" 'BEGIN {
    printf "foobar/anchor req/s %.2fx (target >= 0.80x: %s), p99 %.2fx; floor/anchor %.2fx; foobar/floor %.2fx", r, (r >= 0.8) ? "met" : "NOT met", p, f, (f > 0) ? r / f : 0 }')"
  results_row "$path" median "" "" "" "" "" "" "" "" "" "$rr" "$pr" "$fx"
  # The same rounds' CPU per request by hop, median of the rounds: which process each stack's rate is spent in.
  cpu=()
  for column in $(seq 1 12); do
    # shellcheck disable=SC2046 # one number per round
    cpu+=("$(median $(printf '%s\n' "${CPU_ROWS[@]}" | awk -v c="$column" '{ print $c }'))")
  done
  results_print "%-15s cpu µs | edge, web hop, app servers, PostgreSQL per request: anchor %s/%s/%s/%s (HAProxy/nginx), foobar %s/%s/%s/%s (lb-1/web), floor %s/%s/%s/%s\n" \
    "$path" "${cpu[@]}"
done
results_print "load average at the end: %s on %s cores\n" "$(cut -d' ' -f1-3 /proc/loadavg)" "$(nproc)"
results_close
