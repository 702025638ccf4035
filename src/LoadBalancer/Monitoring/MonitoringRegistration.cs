using Foobar.ServiceDefaults;

namespace Foobar.LoadBalancer.Monitoring;

internal static class MonitoringRegistration
{
    /// <summary>The stack monitor behind <c>GET /stack</c>: configuration section <c>Monitoring</c>, polling in the background.</summary>
    public static WebApplicationBuilder AddStackMonitoring(this WebApplicationBuilder builder)
    {
        builder.AddValidatedOptions<MonitoringOptions>(MonitoringOptions.Section);
        // Short timeouts: a node that does not answer within a poll is shown as not answering, not waited for.
        builder.Services.AddSingleton(sp => new NodeProbe(new HttpClient { Timeout = TimeSpan.FromMilliseconds(900) }, sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton<StackMonitor>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<StackMonitor>());
        return builder;
    }
}
