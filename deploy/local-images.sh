#!/usr/bin/env bash
# Base images that the Dockerfiles, docker-compose.yml and the tests use, for an engine that cannot pull them.
# For each official name: a real image already in the engine is kept; else `docker pull` is tried; only when that
# fails is a stand-in built under the same name, from Debian packages and this machine's .NET
# (recipes in deploy/local-images/). Stand-ins carry the label org.foobar.stand-in=<recipe hash>: they are
# rebuilt only when their recipe (or the parent image, the .NET install, the CA bundle) changes.
# Talks to whatever engine `docker` does (DOCKER_HOST). Needs root (debootstrap), debootstrap, gcc, dotnet.
# Usage: deploy/local-images.sh [--rebuild]    (prints one line: which images are stand-ins)
set -euo pipefail
recipes=$(cd "$(dirname "$0")" && pwd)/local-images
rebuild=; [[ ${1:-} == --rebuild ]] && rebuild=1
# The legacy builder: BuildKit would pull its Dockerfile frontend image, and dockerd 20.10 has no buildx.
export DOCKER_BUILDKIT=0
dotnet_root=${DOTNET_ROOT:-$(dirname "$(readlink -f "$(command -v dotnet)")")}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Several checkouts may share one engine: one builder at a time.
exec 9>/tmp/foobar-local-images.lock
flock 9

stand_ins=() pulled=() kept=()
log() { printf 'local-images: %s\n' "$*" >&2; }
recipe_hash() { cat "$@" | sha256sum | cut -c1-16; }
image_id() { docker image inspect --format '{{.Id}}' "$1"; }
# "missing", "real", or the recipe hash a stand-in was built from.
state_of() {
  local label
  label=$(docker image inspect --format '{{ index .Config.Labels "org.foobar.stand-in" }}' "$1" 2>/dev/null) || { echo missing; return; }
  echo "${label:-real}"
}

# ensure NAME RECIPE_HASH BUILD_FUNCTION: real image kept or pulled, else the stand-in built unless current.
ensure() {
  local name=$1 recipe=$2 build=$3 state
  state=$(state_of "$name")
  if [[ $state == real ]]; then
    kept+=("$name")
  elif docker pull --quiet "$name" >/dev/null 2>&1; then
    pulled+=("$name")
  else
    if [[ $state != "$recipe" || -n $rebuild ]]; then
      log "building stand-in $name"
      local started=$SECONDS
      "$build" "$name" "$recipe"
      log "built $name in $((SECONDS - started)) s"
    fi
    stand_ins+=("$name")
  fi
}

# A build context of recipe files plus a dotnet/ tree of the given entries of the .NET install (hard links
# where the file system allows, so the SDK is not copied twice).
dotnet_context() {
  local ctx=$1; shift
  mkdir -p "$ctx/dotnet"
  for entry in "$@"; do
    cp -al "$dotnet_root/$entry" "$ctx/dotnet/" 2>/dev/null || cp -a "$dotnet_root/$entry" "$ctx/dotnet/"
  done
}

# build_image CONTEXT NAME RECIPE_HASH; the builder's output is shown only when it fails.
build_image() {
  docker build --label "org.foobar.stand-in=$3" -t "$2" "$1" >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; return 1; }
}

build_debian() {
  local rootfs=$work/rootfs
  bash "$recipes/debian-rootfs.sh" "$rootfs" "${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
  tar --numeric-owner -C "$rootfs" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' \
    --change "LABEL org.foobar.stand-in=$2" - "$1" >/dev/null
  rm -rf "$rootfs"
}
build_tag_of_slim() { docker tag debian:bookworm-slim "$1"; }
build_aspnet() {
  local ctx=$work/aspnet
  mkdir -p "$ctx" && cp "$recipes/aspnet.Dockerfile" "$ctx/Dockerfile"
  dotnet_context "$ctx" dotnet host shared LICENSE.txt ThirdPartyNotices.txt
  build_image "$ctx" "$1" "$2"
}
build_sdk() {
  local ctx=$work/sdk entries=()
  mkdir -p "$ctx" && cp "$recipes/sdk.Dockerfile" "$ctx/Dockerfile"
  cp /etc/ssl/certs/ca-certificates.crt "$ctx/"
  for entry in "$dotnet_root"/*; do
    case ${entry##*/} in dotnet | host | shared | LICENSE.txt | ThirdPartyNotices.txt) ;; *) entries+=("${entry##*/}") ;; esac
  done
  dotnet_context "$ctx" "${entries[@]}"
  build_image "$ctx" "$1" "$2"
}
build_postgres() {
  local ctx=$work/postgres
  mkdir -p "$ctx" && cp "$recipes/postgres.Dockerfile" "$ctx/Dockerfile" && cp "$recipes/docker-entrypoint.sh" "$ctx/"
  build_image "$ctx" "$1" "$2"
}
build_pause() {
  local ctx=$work/pause
  mkdir -p "$ctx" && cp "$recipes/pause.Dockerfile" "$ctx/Dockerfile"
  gcc -Os -static -s -o "$ctx/pause" "$recipes/pause.c"
  build_image "$ctx" "$1" "$2"
}

docker version --format '{{.Server.Version}}' >/dev/null || { log "no Docker engine answers (DOCKER_HOST=${DOCKER_HOST:-default socket})"; exit 1; }

ensure debian:bookworm-slim "$(recipe_hash "$recipes/debian-rootfs.sh")" build_debian
ensure debian:bookworm "$(state_of debian:bookworm-slim)" build_tag_of_slim
ensure mcr.microsoft.com/dotnet/aspnet:10.0 \
  "$(recipe_hash "$recipes/aspnet.Dockerfile" <(image_id debian:bookworm-slim) <(dotnet --list-runtimes))" build_aspnet
ensure mcr.microsoft.com/dotnet/sdk:10.0 \
  "$(recipe_hash "$recipes/sdk.Dockerfile" <(image_id mcr.microsoft.com/dotnet/aspnet:10.0) <(dotnet --list-sdks) /etc/ssl/certs/ca-certificates.crt)" build_sdk
ensure postgres:15 \
  "$(recipe_hash "$recipes/postgres.Dockerfile" "$recipes/docker-entrypoint.sh" <(image_id debian:bookworm-slim))" build_postgres
ensure registry.k8s.io/pause:3.10 "$(recipe_hash "$recipes/pause.Dockerfile" "$recipes/pause.c")" build_pause

echo "local-images: stand-ins (built here, no registry answered): ${stand_ins[*]:-none}; pulled: ${pulled[*]:-none}; real, already present: ${kept[*]:-none}"
