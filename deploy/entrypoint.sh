#!/bin/sh
# Entrypoint of the foobar images: for every variable NAME_FILE, sets NAME to that file's contents (trailing
# newlines dropped), unsets NAME_FILE, then execs the service. Compose secrets arrive as files under /run/secrets,
# while the services read settings only from configuration; this is the bridge, after the official postgres
# image's file_env convention. Example: Election__Key_FILE=/run/secrets/election_key sets Election__Key.
# Exit 2 (the services' "bad configuration" code) when a file is unreadable or both forms are set.
# The demo secrets in deploy/secrets are public: a secret holding one of them is refused (exit 2) unless
# FOOBAR_DEMO=1 says this is the demo, as docker-compose.yml's default does; then a warning says so.
set -eu

# The contents of deploy/secrets/* (EntrypointTests keeps this list and those files in step).
demo_secrets="foobar-demo-admin-token-change-me foobar-demo-election-key-change-me foobar-demo-password-change-me foobar-demo-superuser-password-change-me foobar-demo-witness-password-change-me"

for name in $(env | sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\)_FILE=.*$/\1/p'); do
  eval "file=\${${name}_FILE}"
  eval "both=\${${name}+set}"
  if [ "$both" = set ]; then
    echo "error: bad configuration: both $name and ${name}_FILE are set; use one" >&2
    exit 2
  fi
  if [ ! -r "$file" ]; then
    echo "error: bad configuration: ${name}_FILE: cannot read '$file' (a compose secret must be readable by uid $(id -u))" >&2
    exit 2
  fi
  value=$(cat "$file")
  for demo in $demo_secrets; do
    if [ "$value" = "$demo" ]; then
      if [ "${FOOBAR_DEMO:-0}" != 1 ]; then
        echo "error: bad configuration: $name holds the published demo secret from deploy/secrets; give your own secrets (FOOBAR_SECRETS=DIR, see docs/containers.md) or set FOOBAR_DEMO=1 to run the demo anyway" >&2
        exit 2
      fi
      echo "warning: $name is the published demo secret from deploy/secrets (FOOBAR_DEMO=1): fine for a demo, never for a real deployment" >&2
    fi
  done
  export "$name=$value"
  unset "${name}_FILE"
done

# Replicas of one compose service share one configuration, so none can be told its own name; Docker's DNS knows each
# by its container name (project_web_2 under compose v1, project-web-2 under v2). With FOOBAR_REPLICA_OF=web and no
# Node__Name, this replica becomes web-2 (the name's trailing number). The address comes from /etc/hosts; the PTR
# lookup asks DNS only (getent -s dns), because /etc/hosts names the address after the container ID. Without an
# answer the service keeps its default name, the host name.
if [ -n "${FOOBAR_REPLICA_OF:-}" ] && [ -z "${Node__Name:-}" ]; then
  address=$(getent hosts "${HOSTNAME:-$(cat /etc/hostname)}" | awk '{ print $1; exit }') || address=
  container=$(getent -s dns hosts "$address" 2>/dev/null | awk '{ print $2; exit }') || container=
  index=$(printf '%s\n' "${container%%.*}" | sed -n 's/^.*[-_]\([0-9][0-9]*\)$/\1/p')
  if [ -n "$index" ]; then
    export Node__Name="$FOOBAR_REPLICA_OF-$index"
  else
    echo "warning: FOOBAR_REPLICA_OF=$FOOBAR_REPLICA_OF: no container name for '$address' from DNS ('$container'); keeping the host name" >&2
  fi
fi
unset FOOBAR_REPLICA_OF

exec "$@"
