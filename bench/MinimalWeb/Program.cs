using System.Collections.Frozen;
using Microsoft.AspNetCore.StaticFiles;
using Yarp.ReverseProxy.Configuration;

// bench/fullstack.sh's floor for the web tier: every file under BENCH_WWWROOT held in memory and served by one
// endpoint ("/" is index.html), /api/ forwarded by YARP to the app servers in BENCH_APP_SERVERS (comma-separated
// URLs), listening where ASPNETCORE_URLS says. Logging is off entirely, so no per-request log scope or Activity is
// created either.
var wwwroot = Environment.GetEnvironmentVariable("BENCH_WWWROOT")
    ?? throw new InvalidOperationException("BENCH_WWWROOT (the site's directory) is not set");
var appServers = Environment.GetEnvironmentVariable("BENCH_APP_SERVERS")
    ?? throw new InvalidOperationException("BENCH_APP_SERVERS (the app servers' URLs, comma-separated) is not set");

var contentTypes = new FileExtensionContentTypeProvider();
var files = Directory.EnumerateFiles(wwwroot, "*", SearchOption.AllDirectories).ToFrozenDictionary(
    path => "/" + Path.GetRelativePath(wwwroot, path).Replace('\\', '/'),
    path => (Bytes: File.ReadAllBytes(path), ContentType: contentTypes.TryGetContentType(path, out var type) ? type : "application/octet-stream"));

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);
builder.Services.AddReverseProxy().LoadFromMemory(
    [new RouteConfig { RouteId = "api", ClusterId = "app", Match = new RouteMatch { Path = "/api/{**rest}" } }],
    [new ClusterConfig
    {
        ClusterId = "app",
        Destinations = appServers.Split(',').Select((url, i) => (url, i)).ToDictionary(d => $"app-{d.i + 1}", d => new DestinationConfig { Address = d.url }),
    }]);

var app = builder.Build();
app.MapGet("/{**path}", (string? path) =>
    files.TryGetValue("/" + (string.IsNullOrEmpty(path) ? "index.html" : path), out var file)
        ? Results.Bytes(file.Bytes, file.ContentType)
        : Results.NotFound());
app.MapReverseProxy();
app.Run();
