using Yarp.ReverseProxy.Configuration;

// bench/run.sh's floor: YARP and one destination (BENCH_BACKEND), listening where ASPNETCORE_URLS says. Logging is
// off entirely, so no per-request log scope or Activity is created either.
var backend = Environment.GetEnvironmentVariable("BENCH_BACKEND")
    ?? throw new InvalidOperationException("BENCH_BACKEND (the destination's URL) is not set");

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);
builder.Services.AddReverseProxy().LoadFromMemory(
    [new RouteConfig { RouteId = "all", ClusterId = "web", Match = new RouteMatch { Path = "{**catch-all}" } }],
    [new ClusterConfig { ClusterId = "web", Destinations = new Dictionary<string, DestinationConfig> { ["web-1"] = new() { Address = backend } } }]);

var app = builder.Build();
app.MapReverseProxy();
app.Run();
