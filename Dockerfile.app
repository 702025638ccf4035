# syntax=docker/dockerfile:1
# The app tier (src/AppServer): the foobar API, and its `migrate` command for the one-shot compose service.
# Build from the repository root: docker build -f Dockerfile.app -t foobar/app .

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Restore in its own layer, redone only when a project file or the shared build settings change.
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/ServiceDefaults/ServiceDefaults.csproj src/ServiceDefaults/
COPY src/Data/Data.csproj src/Data/
COPY src/AppServer/AppServer.csproj src/AppServer/
RUN dotnet restore src/AppServer/AppServer.csproj
COPY src/ServiceDefaults/ src/ServiceDefaults/
COPY src/Data/ src/Data/
COPY src/AppServer/ src/AppServer/
RUN dotnet publish src/AppServer/AppServer.csproj -c Release --no-restore -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS final
WORKDIR /app
COPY --from=build /app ./
COPY deploy/entrypoint.sh /usr/local/bin/foobar-entrypoint.sh
# Unprivileged ports: the main listener (also what `healthcheck` probes) and the management listener
# (/metrics, /internal/*), which nothing in front forwards to.
ENV ASPNETCORE_URLS=http://0.0.0.0:8080 \
    Management__Url=http://0.0.0.0:9090
EXPOSE 8080 9090
USER $APP_UID
# /health/ready includes the database: an app server that cannot reach PostgreSQL is unhealthy.
# The check starts a .NET process: on a busy 2-core machine that alone took over 5 s, and compose v1 gives up on
# `depends_on: service_healthy` at the first "unhealthy"; hence the long timeout and start period.
HEALTHCHECK --interval=5s --timeout=15s --start-period=60s --retries=5 CMD ["dotnet", "AppServer.dll", "healthcheck"]
ENTRYPOINT ["/bin/sh", "/usr/local/bin/foobar-entrypoint.sh", "dotnet", "AppServer.dll"]
