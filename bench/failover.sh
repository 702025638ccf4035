#!/usr/bin/env bash
# Failover benchmark: lb-1 (priority 200) and lb-2 (100), Release builds, share one endpoint in front of one nginx
# backend. Measures the unavailability window for kill -9 and SIGTERM of the leader (a client polling every 10 ms,
# new connection per request), the failed requests of each, and the leadership changes during a full-load wrk run.
# Not a test: it prints a table. See bench/FAILOVER.md for the method and the figures measured.
#
#   bench/failover.sh [TRIALS] [LOAD_SECONDS]        defaults: 20 trials of each, 60 s of wrk -t2 -c64
#
# Needs wrk and nginx on PATH (Debian: apt-get install -y wrk nginx); installs nothing itself. Takes ~5 minutes.
set -euo pipefail

TRIALS=${1:-20}
LOAD_SECONDS=${2:-60}
ROOT=$(cd "$(dirname "$0")/.." && pwd)

missing=()
for tool in wrk nginx dotnet; do
  command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "missing: ${missing[*]} (Debian: apt-get install -y wrk nginx; dotnet from the repo's global.json)" >&2
  exit 1
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
BACKEND_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null \
  || shuf -i 20000-60000 -n 1)

WORK=$(mktemp -d /tmp/foobar-failover.XXXXXX)
chmod 755 "$WORK"
cleanup() {
  [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
  if [ -z "${KEEP_LOGS:-}" ]; then rm -rf "$WORK"; else echo "logs kept in $WORK"; fi
}
trap cleanup EXIT INT TERM

echo "building the load balancer and the driver (Release)..."
dotnet build "$ROOT/src/LoadBalancer" -c Release -nologo -v q >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; exit 1; }
dotnet build "$ROOT/bench/FailoverBench" -c Release -nologo -v q >>"$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; exit 1; }

# The backend: nginx with one small static page, as in bench/run.sh.
# shellcheck source=bench/lib/nginx-backend.sh
. "$ROOT/bench/lib/nginx-backend.sh"
start_static_backend "$WORK" "$BACKEND_PORT" "$NGINX"

# The load balancers run with the benchmark settings of bench/loadbalancer.env (explained there).
set -a
# shellcheck source=bench/loadbalancer.env
. "$ROOT/bench/loadbalancer.env"
set +a

dotnet "$ROOT/bench/FailoverBench/bin/Release/net10.0/FailoverBench.dll" \
  "$ROOT/src/LoadBalancer/bin/Release/net10.0/LoadBalancer.dll" "http://127.0.0.1:$BACKEND_PORT" "$WORK" "$TRIALS" "$LOAD_SECONDS"
