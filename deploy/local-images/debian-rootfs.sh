#!/usr/bin/env bash
# Builds a Debian bookworm root filesystem in DIR, shaped like the official debian:bookworm-slim image:
# debootstrap's minbase variant, the same apt sources (main, updates, security), no docs or man pages.
# Used by deploy/local-images.sh, which `docker import`s the result. Needs root and debootstrap.
# Usage: debian-rootfs.sh DIR [MIRROR]
set -euo pipefail
dir=$1
mirror=${2:-http://deb.debian.org/debian}

debootstrap --variant=minbase bookworm "$dir" "$mirror" >/dev/null

rm -f "$dir/etc/apt/sources.list"
cat >"$dir/etc/apt/sources.list.d/debian.sources" <<SOURCES
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES

# As in the slim image: packages installed later leave their documentation out, and apt keeps no caches.
cat >"$dir/etc/dpkg/dpkg.cfg.d/docker" <<'DPKG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
DPKG
cat >"$dir/etc/apt/apt.conf.d/docker-clean" <<'APT'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
APT
rm -rf "$dir"/usr/share/doc/* "$dir"/usr/share/man/* "$dir"/usr/share/info/* \
  "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/*.bin "$dir"/var/cache/apt/archives/*.deb \
  "$dir"/var/log/*.log "$dir"/tmp/*
# Docker provides these at run time.
: >"$dir/etc/hostname"
: >"$dir/etc/resolv.conf"
