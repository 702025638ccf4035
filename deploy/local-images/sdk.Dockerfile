# Stand-in for mcr.microsoft.com/dotnet/sdk:10.0, built by deploy/local-images.sh on top of the aspnet stand-in
# (the official SDK image is layered the same way). Context: this file, dotnet/ (the host's sdk/, packs/,
# sdk-manifests/, templates/ ...) and ca-certificates.crt (the host's CA bundle: where outgoing TLS is inspected,
# NuGet restore inside a build trusts only what the host trusts).
FROM mcr.microsoft.com/dotnet/aspnet:10.0
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY dotnet/ /usr/share/dotnet/
ENV DOTNET_GENERATE_ASPNET_CERTIFICATE=false \
    DOTNET_NOLOGO=true \
    DOTNET_USE_POLLING_FILE_WATCHER=true \
    NUGET_XMLDOC_MODE=skip
RUN dotnet --list-sdks
