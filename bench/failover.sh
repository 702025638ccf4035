#!/usr/bin/env bash
# Failover benchmark matrix: lb-1 (priority 200) and lb-2 (100), Release builds, in front of one nginx backend, in
# listen mode (both in one network namespace sharing one port, as compose runs them) and in address mode (each in its
# own namespace, the Master holding a floating IP, as two hosts would). For each of kill -9, SIGSTOP, SIGTERM and a
# partition of the election traffic, TRIALS trials at the first advertisement interval, and kill -9 and SIGSTOP again at
# every further one: the median and max unavailability window of a client polling every 10 ms, the failed requests of
# it and of a kept-alive client, and the time to a single owner after SIGCONT / healing. Then a full-load wrk run per
# advertisement interval, counting leadership changes. Prints a table and writes a dated record under bench/results/.
# Not a test. See bench/FAILOVER.md for the method and the figures measured.
#
#   bench/failover.sh [TRIALS] [LOAD_SECONDS] [MODES] [INTERVALS_MS]
#       defaults: 20 trials of each, 60 s of wrk -t2 -c64, "listen address", "200,80"; ~55 minutes on 2 cores
#   EVENTS="SIGTERM" (or e.g. "kill -9,SIGSTOP") runs only those events; LOAD_SECONDS=0 skips the wrk runs;
#   KEEP_LOGS=1 keeps both load balancers' logs (the path is printed at the end).
#
# Needs root (network namespaces, veth, a bridge: iproute2; iptables for the partition), wrk and nginx (Debian:
# apt-get install -y iproute2 iptables wrk nginx); installs nothing itself. Touches only namespaces it creates.
set -euo pipefail

TRIALS=${1:-20}
LOAD_SECONDS=${2:-60}
MODES=${3:-listen address}
INTERVALS=${4:-200,80}
ROOT=$(cd "$(dirname "$0")/.." && pwd)

missing=()
for tool in wrk nginx dotnet ip iptables; do
  command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "missing: ${missing[*]} (Debian: apt-get install -y iproute2 iptables wrk nginx; dotnet from the repo's global.json)" >&2
  exit 1
fi
if [ "$(id -u)" != 0 ]; then
  echo "needs root: the matrix runs each load balancer in a network namespace of its own" >&2
  exit 1
fi

PREFIX=fbb-$$
SUBNET=10.215.$(( $$ % 200 + 20 ))
BACKEND_PORT=8081
WORK=$(mktemp -d /tmp/foobar-failover.XXXXXX)
chmod 755 "$WORK"

# shellcheck source=bench/lib/netns.sh
. "$ROOT/bench/lib/netns.sh"
# shellcheck source=bench/lib/nginx-backend.sh
. "$ROOT/bench/lib/nginx-backend.sh"
# shellcheck source=bench/lib/results.sh
. "$ROOT/bench/lib/results.sh"

cleanup() {
  [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
  netns_close "$PREFIX"
  if [ -z "${KEEP_LOGS:-}" ]; then rm -rf "$WORK"; else echo "logs kept in $WORK"; fi
}
trap cleanup EXIT INT TERM

echo "building the load balancer and the driver (Release)..."
dotnet build "$ROOT/src/LoadBalancer" -c Release -nologo -v q >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; exit 1; }
dotnet build "$ROOT/bench/FailoverBench" -c Release -nologo -v q >>"$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; exit 1; }

netns_open "$PREFIX" "$SUBNET"
# The backend: nginx with one small static page, as in bench/run.sh, on the web "host".
printf '#!/bin/sh\nexec ip netns exec %s %s "$@"\n' "$PREFIX-web" "$(command -v nginx || echo /usr/sbin/nginx)" > "$WORK/nginx-in-web"
chmod +x "$WORK/nginx-in-web"
start_static_backend "$WORK" "$BACKEND_PORT" "$WORK/nginx-in-web" "$SUBNET.20"

# The load balancers run with the benchmark settings of bench/loadbalancer.env (explained there).
set -a
# shellcheck source=bench/loadbalancer.env
. "$ROOT/bench/loadbalancer.env"
set +a

RESULTS_COMMAND="${EVENTS:+EVENTS=\"$EVENTS\" }bench/failover.sh $TRIALS $LOAD_SECONDS \"$MODES\" $INTERVALS" results_open failover "$ROOT"
results_row trial
for mode in $MODES; do
  ip netns exec "$PREFIX-cli" dotnet "$ROOT/bench/FailoverBench/bin/Release/net10.0/FailoverBench.dll" \
    "$ROOT/src/LoadBalancer/bin/Release/net10.0/LoadBalancer.dll" "$WORK" "$mode" "$PREFIX" "$SUBNET" \
    "http://$SUBNET.20:$BACKEND_PORT" "$TRIALS" "$LOAD_SECONDS" "$INTERVALS" | tee "$WORK/$mode.out"
  grep '^  ' "$WORK/$mode.out" | while read -r line; do results_row "$(echo "$line" | tr ',' ';')"; done
done

results_print "\n%s trials per cell, %s s of wrk per interval; load average at the end %s\n\n" "$TRIALS" "$LOAD_SECONDS" "$(cut -d' ' -f1-3 /proc/loadavg)"
first=1
for mode in $MODES; do
  if [ $first = 1 ]; then grep '^|' "$WORK/$mode.out" | results_print "%s\n" "$(cat)"; first=0
  else grep '^|' "$WORK/$mode.out" | grep -v '^| mode\|^|---' | results_print "%s\n" "$(cat)"; fi
done
results_close
