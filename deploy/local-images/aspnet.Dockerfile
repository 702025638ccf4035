# Stand-in for mcr.microsoft.com/dotnet/aspnet:10.0, built by deploy/local-images.sh when that image cannot be
# pulled. Context: this file plus dotnet/ (the host's `dotnet` muxer, host/ and shared/ only: no SDK).
# Shaped like the official image: Debian bookworm-slim, the same native dependencies, user `app` (uid 1654)
# with APP_UID, port 8080 by default, /usr/bin/dotnet.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      ca-certificates libc6 libgcc-s1 libicu72 libssl3 libstdc++6 tzdata zlib1g \
      # Npgsql loads GSSAPI at connection time even for password logins; missing, it logs errors on every open.
      libgssapi-krb5-2 \
 && rm -rf /var/lib/apt/lists/*
ENV APP_UID=1654 \
    ASPNETCORE_HTTP_PORTS=8080 \
    DOTNET_RUNNING_IN_CONTAINER=true
RUN groupadd --gid=$APP_UID app \
 && useradd --no-log-init --uid=$APP_UID --gid=$APP_UID --create-home app
COPY dotnet/ /usr/share/dotnet/
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet && dotnet --list-runtimes
