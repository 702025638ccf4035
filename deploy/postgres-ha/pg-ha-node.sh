#!/bin/sh
# One pg_auto_failover service per container (docker-compose.db-ha.yml): PG_HA_ROLE=monitor, or node with PG_HA_NAME.
# First start: `pg_autoctl create ... --run`; later starts (the volume holds the configuration): `pg_autoctl run`.
# `pg-ha-node healthcheck`: healthy once this node runs as primary or secondary (the monitor: accepts connections).
set -eu
export PGDATA="${PGDATA:-/var/lib/postgresql/data/pgdata}"
export XDG_CONFIG_HOME=/var/lib/postgresql/data/config XDG_DATA_HOME=/var/lib/postgresql/data/share
export PATH="/usr/lib/postgresql/15/bin:$PATH"
monitor="postgres://autoctl_node@${PG_HA_MONITOR:-pg-monitor}:5432/pg_auto_failover?sslmode=disable"

if [ "${1:-}" = healthcheck ]; then
  if [ "$PG_HA_ROLE" = monitor ]; then
    exec pg_isready -q -h 127.0.0.1 -p 5432 -d pg_auto_failover
  fi
  pg_autoctl show state --local --json 2>/dev/null | grep -Eq '"current_group_state": "(single|primary|wait_primary|secondary)"'
  exit $?
fi

if [ -f "$XDG_CONFIG_HOME/pg_autoctl$PGDATA/pg_autoctl.cfg" ]; then
  exec pg_autoctl run
fi

# Demo authentication: trust, on the data network only (docs/database-ha.md); --pg-hba-lan admits that network.
case "$PG_HA_ROLE" in
  monitor)
    exec pg_autoctl create monitor --hostname "$PG_HA_HOSTNAME" --pgport 5432 --auth trust --no-ssl --run ;;
  node)
    exec pg_autoctl create postgres --name "$PG_HA_NAME" --hostname "$PG_HA_HOSTNAME" --pgport 5432 --dbname foobar \
      --monitor "$monitor" --auth trust --no-ssl --pg-hba-lan --run ;;
  *)
    echo "error: PG_HA_ROLE must be monitor or node, not '${PG_HA_ROLE:-}'" >&2
    exit 2 ;;
esac
