#!/bin/sh
# One pg_auto_failover service per container (docker-compose.db-ha.yml): PG_HA_ROLE=monitor, or node with PG_HA_NAME.
# First start: `pg_autoctl create ... --run`; later starts (the volume holds the configuration): `pg_autoctl run`.
# `pg-ha-node healthcheck`: healthy once this node runs as primary or secondary (the monitor: accepts connections).
set -eu
# Below the volume's root, which also holds pg_autoctl's configuration and state (the base image's PGDATA is the root).
export PGDATA=/var/lib/postgresql/data/pgdata
export XDG_CONFIG_HOME=/var/lib/postgresql/data/config XDG_DATA_HOME=/var/lib/postgresql/data/share
export PATH="/usr/lib/postgresql/15/bin:$PATH"
monitor="postgres://autoctl_node@${PG_HA_MONITOR:-pg-monitor}:5432/pg_auto_failover?sslmode=disable"

local_state() {
  pg_autoctl show state --local --json 2>/dev/null | sed -n 's/.*"current_group_state": "\([a-z_]*\)".*/\1/p'
}

# pg_basebackup (a new standby, or an old primary that cannot rewind) first waits for a checkpoint on the primary, and
# pg_autoctl asks for a spread one: minutes on a quiet database. Until this node has caught up, ask the primary (found
# through the monitor) for an immediate CHECKPOINT every few seconds, which completes the one in progress.
nudge_checkpoints() {
  i=0
  while [ "$i" -lt 120 ]; do
    sleep 5
    i=$((i + 1))
    case "$(local_state)" in
      secondary|primary|single|wait_primary) return 0 ;;
    esac
    uri=$(pg_autoctl show uri --monitor "$monitor" --formation default 2>/dev/null) || continue
    psql "$uri" -qAtc CHECKPOINT >/dev/null 2>&1 || true
  done
}

if [ "${1:-}" = healthcheck ]; then
  if [ "$PG_HA_ROLE" = monitor ]; then
    exec pg_isready -q -h 127.0.0.1 -p 5432 -d pg_auto_failover
  fi
  case "$(local_state)" in
    single|primary|wait_primary|secondary) exit 0 ;;
    *) exit 1 ;;
  esac
fi

case "${PG_HA_ROLE:-}" in
  monitor|node) ;;
  *)
    echo "error: PG_HA_ROLE must be monitor or node, not '${PG_HA_ROLE:-}'" >&2
    exit 2 ;;
esac

# A container restarted after SIGKILL keeps /tmp, and pg_autoctl's pid file there names a PID that this container's
# new pg_autoctl gets again: it would refuse to start. Nothing else runs pg_autoctl in this container.
rm -rf /tmp/pg_autoctl

# Fast failover (docs/database-ha.md, "Tuning"): the same settings as the Launcher's --db-ha unless PG_HA_TUNED=false.
tune() {
  [ "${PG_HA_TUNED:-true}" = true ] || return 0
  if [ "$PG_HA_ROLE" = monitor ]; then
    # Once the monitor's extension exists (its settings are unknown before).
    until [ "$(psql -h 127.0.0.1 -p 5432 -d pg_auto_failover -qAtc "SELECT 1 FROM pg_extension WHERE extname = 'pgautofailover'" 2>/dev/null)" = 1 ]; do
      sleep 1
    done
    psql -h 127.0.0.1 -p 5432 -d pg_auto_failover -qAt \
      -c "ALTER SYSTEM SET pgautofailover.health_check_period = 1000" \
      -c "ALTER SYSTEM SET pgautofailover.health_check_timeout = 1000" \
      -c "ALTER SYSTEM SET pgautofailover.health_check_max_retries = 1" \
      -c "ALTER SYSTEM SET pgautofailover.health_check_retry_delay = 500" \
      -c "ALTER SYSTEM SET pgautofailover.node_considered_unhealthy_timeout = 3000" \
      -c "ALTER SYSTEM SET pgautofailover.primary_demote_timeout = 5000" \
      -c "SELECT pg_reload_conf()" >/dev/null
  else
    # Once the keeper runs (it reloads its configuration on SIGHUP, which `pg_autoctl reload` sends).
    until [ -n "$(local_state)" ] && pg_autoctl status >/dev/null 2>&1; do sleep 2; done
    pg_autoctl config set timeout.network_partition_timeout 3 >/dev/null && pg_autoctl reload >/dev/null 2>&1 || true
  fi
}
tune &

# An interrupted create (no PG_VERSION yet) is resumed by running create again.
if [ -f "$XDG_CONFIG_HOME/pg_autoctl$PGDATA/pg_autoctl.cfg" ] && [ -f "$PGDATA/PG_VERSION" ]; then
  if [ "$PG_HA_ROLE" = node ]; then
    nudge_checkpoints &
  fi
  exec pg_autoctl run
fi

# Demo authentication: trust, on the internal data network only (docs/database-ha.md); --pg-hba-lan admits that network.
if [ "$PG_HA_ROLE" = monitor ]; then
  exec pg_autoctl create monitor --hostname "$PG_HA_HOSTNAME" --pgport 5432 --auth trust --no-ssl --run
fi

nudge_checkpoints &
exec pg_autoctl create postgres --name "$PG_HA_NAME" --hostname "$PG_HA_HOSTNAME" --pgport 5432 --dbname foobar \
  --monitor "$monitor" --auth trust --no-ssl --pg-hba-lan --run
