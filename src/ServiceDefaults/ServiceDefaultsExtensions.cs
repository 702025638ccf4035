using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Prometheus;
using Serilog;
using Serilog.Formatting.Compact;

namespace Foobar.ServiceDefaults;

/// <summary>What every tier shares: logging, node identity, health, metrics, forwarded headers, management listener.</summary>
public static class ServiceDefaultsExtensions
{
    public const string LiveTag = "live";

    public static WebApplicationBuilder AddServiceDefaults(this WebApplicationBuilder builder)
    {
        builder.AddValidatedOptions<NodeOptions>(NodeOptions.Section);
        builder.AddValidatedOptions<ManagementOptions>(ManagementOptions.Section);
        builder.AddValidatedOptions<TrustedProxyOptions>(TrustedProxyOptions.Section);
        builder.AddValidatedOptions<MetricsOptions>(MetricsOptions.Section);
        builder.AddValidatedOptions<TransportOptions>(TransportOptions.Section);
        builder.Services.AddOptions<SocketTransportOptions>().Configure<IOptions<TransportOptions>>(
            (sockets, transport) => sockets.UnsafePreferInlineScheduling = transport.Value.InlineScheduling);

        builder.Services.AddSerilog((services, logger) => logger
            .ReadFrom.Configuration(builder.Configuration)
            .ReadFrom.Services(services)
            .Enrich.FromLogContext()
            .Enrich.WithProperty("Node", services.GetRequiredService<IOptions<NodeOptions>>().Value.Name)
            .WriteTo.Console(new RenderedCompactJsonFormatter()));

        builder.Services.AddProblemDetails();
        builder.Services.AddHealthChecks().AddCheck("self", () => HealthCheckResult.Healthy(), [LiveTag]);
        builder.Services.AddSingleton<IHealthCheckPublisher, HealthMetricsPublisher>();
        builder.Services.Configure<HealthCheckPublisherOptions>(o =>
        {
            o.Delay = TimeSpan.FromSeconds(1);
            o.Period = HealthMetricsPublisher.Period;
        });
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(20));
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<NodeClock>();

        if (StdinEofWatchdog.Enabled)
        {
            builder.Services.AddHostedService<StdinEofWatchdog>();
        }

        AddManagementListener(builder);
        // A tier with its own operator listener (the load balancer's Admin:Url) replaces this one.
        builder.Services.TryAddSingleton(services => new ManagementPort(services.GetRequiredService<IOptions<ManagementOptions>>().Value.Port));
        return builder;
    }

    /// <summary>Middleware every tier runs first: forwarded headers, X-Served-By, the management gate, request logging.</summary>
    public static WebApplication UseServiceDefaults(this WebApplication app)
    {
        // Created now, not at the first status request, so uptime counts from the start.
        _ = app.Services.GetRequiredService<NodeClock>();
        app.UseForwardedHeaders(app.Services.GetRequiredService<IOptions<TrustedProxyOptions>>().Value.ToAspNetOptions());

        var node = app.Services.GetRequiredService<IOptions<NodeOptions>>().Value.Name;
        app.Use((context, next) =>
        {
            context.Response.OnStarting(() =>
            {
                // A proxy passes its upstream's X-Served-By through: the name is of whoever produced the response.
                context.Response.Headers.TryAdd("X-Served-By", node);
                return Task.CompletedTask;
            });
            return next(context);
        });

        if (app.Services.GetRequiredService<IOptions<ManagementOptions>>().Value.Port is not null)
        {
            app.UseMiddleware<ManagementPortGate>();
        }

        // Start listening to .NET meters now, before the first request, not at the first scrape: instruments such as
        // ASP.NET's http.server.request.duration only record while someone listens. QUIC's private meters are noise.
        // Metrics:PerRequest=false (the load balancer's default) also leaves out the instruments recorded on every
        // request, which on a proxy's hot path cost more than the forwarding; the tier exports its own totals instead.
        var perRequest = app.Services.GetRequiredService<IOptions<MetricsOptions>>().Value.PerRequest;
        Metrics.ConfigureMeterAdapter(o => o.InstrumentFilterPredicate = i =>
            !i.Meter.Name.StartsWith("Private.", StringComparison.Ordinal) && (perRequest || !IsPerRequestInstrument(i)));
        // prometheus-net subscribes to the runtime's, ASP.NET's and System.Net's EventSources at Informational level to
        // read their event counters, which also switches on their per-request events (hosting RequestStart/Stop,
        // HttpClient's eight request events, ...), each dispatched to a listener that drops it: measured as EventSource
        // dispatch on every request of the proxies' profiles. Counters are written at LogAlways level, so subscribing at
        // Critical keeps every counter and silences the per-request events.
        Metrics.ConfigureEventCounterAdapter(o => o.EventSourceSettingsProvider = _ =>
            new EventCounterAdapterEventSourceSettings { MinimumLevel = System.Diagnostics.Tracing.EventLevel.Critical });
        ProcessMetrics.ReplaceDefault();
        // Touching the registry is not enough: prometheus-net's meter adapter begins listening at the first
        // collection (prometheus-net issue #487), so counters hit before the first scrape were lost. Collect once now.
        Metrics.DefaultRegistry.CollectAndExportAsTextAsync(Stream.Null).GetAwaiter().GetResult();

        // prometheus-net's request metrics (http_request_duration_seconds, http_requests_in_progress):
        // its .NET meter adapter does not pick up ASP.NET's own http.server.request.duration here.
        if (perRequest)
        {
            app.UseHttpMetrics();
        }
        app.UseSerilogRequestLogging(options =>
        {
            options.EnrichDiagnosticContext = (diagnostics, context) =>
            {
                diagnostics.Set("ClientIp", context.Connection.RemoteIpAddress?.ToString());
                diagnostics.Set("Host", context.Request.Host.Value);
            };
            // Probes every second would drown the access log; keep them at Verbose.
            options.GetLevel = (context, _, ex) =>
                ex is not null || context.Response.StatusCode >= 500 ? Serilog.Events.LogEventLevel.Error
                : context.Request.Path.StartsWithSegments("/health") || context.Request.Path.StartsWithSegments("/metrics") ? Serilog.Events.LogEventLevel.Verbose
                : Serilog.Events.LogEventLevel.Information;
        });
        return app;
    }

    /// <summary>/health/live (the process answers), /health/ready (its dependencies too), and /metrics.</summary>
    public static IEndpointRouteBuilder MapDefaultEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = check => check.Tags.Contains(LiveTag) });
        endpoints.MapHealthChecks("/health/ready");
        endpoints.MapMetrics("/metrics");
        return endpoints;
    }

    // aspnetcore.memory_pool.* (.NET 10) counts every buffer Kestrel rents, several per request: through the meter
    // adapter each one took a lock and a label lookup on the hot path (seen in the LB's and the web tier's profiles).
    private static bool IsPerRequestInstrument(System.Diagnostics.Metrics.Instrument instrument) =>
        instrument.Name.StartsWith("http.server.", StringComparison.Ordinal)
        || instrument.Name.StartsWith("http.client.", StringComparison.Ordinal)
        || instrument.Name.StartsWith("aspnetcore.routing.", StringComparison.Ordinal)
        || instrument.Name.StartsWith("aspnetcore.memory_pool.", StringComparison.Ordinal);

    // Kestrel ignores --urls once any endpoint is configured in code, so the management URL is
    // appended to the configured URLs instead of being added with Listen().
    private static void AddManagementListener(WebApplicationBuilder builder)
    {
        var management = builder.Configuration[$"{ManagementOptions.Section}:Url"];
        // An invalid URL is left to option validation, which refuses to start with the key's name.
        if (string.IsNullOrWhiteSpace(management) || !new AbsoluteHttpUrlAttribute().IsValid(management)
            || builder.Configuration.GetSection("Kestrel:Endpoints").Exists())
        {
            return;
        }

        var urls = builder.Configuration[WebHostDefaults.ServerUrlsKey];
        if (string.IsNullOrWhiteSpace(urls))
        {
            // Keep what Kestrel would have used: ASPNETCORE_HTTP_PORTS (8080 in the official images), else 5000.
            var ports = builder.Configuration[WebHostDefaults.HttpPortsKey];
            urls = string.IsNullOrWhiteSpace(ports)
                ? "http://localhost:5000"
                : string.Join(';', ports.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(p => $"http://*:{p}"));
        }

        builder.WebHost.UseUrls($"{urls};{management}");
    }
}
