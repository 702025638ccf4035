#!/bin/sh
# Entrypoint of the foobar images: for every variable NAME_FILE, sets NAME to that file's contents (trailing
# newlines dropped), unsets NAME_FILE, then execs the service. Compose secrets arrive as files under /run/secrets,
# while the services read settings only from configuration; this is the bridge, after the official postgres
# image's file_env convention. Example: Election__Key_FILE=/run/secrets/election_key sets Election__Key.
# Exit 2 (the services' "bad configuration" code) when a file is unreadable or both forms are set.
set -eu

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
  export "$name=$value"
  unset "${name}_FILE"
done

exec "$@"
