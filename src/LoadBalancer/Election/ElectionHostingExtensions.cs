using Foobar.LoadBalancer.Election.Address;
using Foobar.LoadBalancer.Election.Endpoint;
using Foobar.LoadBalancer.Election.Listen;
using Foobar.ServiceDefaults;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Foobar.LoadBalancer.Election;

internal static class ElectionHostingExtensions
{
    /// <summary>
    /// Leader election over UDP (configuration section <c>Election</c>, see docs/election.md) and the <c>listen</c>
    /// mode virtual endpoint: while this node is Master the <paramref name="endpoints"/> are added to the
    /// configuration as <c>Kestrel:Endpoints:{Name}</c> and Kestrel binds them; as Backup they are removed and
    /// Kestrel stops accepting on them. The election is a hosted service (<see cref="ElectionService"/>, or
    /// <see cref="SingleNodeElection"/> with <c>Election:Enabled=false</c>); read it through <see cref="ILeaderElection"/>.
    /// <para>Requirements on the host:</para>
    /// <list type="bullet">
    /// <item>Kestrel configured from the <c>Kestrel</c> section with reloadOnChange (WebApplication.CreateBuilder's
    /// default; <c>builder.WebHost.ConfigureKestrel(o =&gt; o.Configure(builder.Configuration.GetSection("Kestrel"),
    /// reloadOnChange: true))</c> if in doubt).</item>
    /// <item>The admin listener declared in code (<c>ConfigureKestrel(o =&gt; o.Listen(...))</c>) or as another
    /// <c>Kestrel:Endpoints</c> entry, not through <c>--urls</c>: Kestrel ignores <c>--urls</c> once configuration
    /// declares endpoints, which the leader's public ones are.</item>
    /// <item>Anyone else setting <c>SocketTransportOptions.CreateBoundListenSocket</c> must do it before this call
    /// or chain the previous value: the election watches binds through it.</item>
    /// </list>
    /// Register an <see cref="Health.IElectionHealthSource"/> (e.g. from YARP's cluster state) for health tracking;
    /// without one the node counts as healthy. Register another <see cref="IVirtualEndpoint"/> before this call to
    /// replace the listen mode (the seam for <c>address</c> mode).
    /// <example><code>
    /// builder.AddLeaderElection(
    ///     PublicEndpoint.Http("http://127.0.0.1:8080"),
    ///     PublicEndpoint.Https("https://127.0.0.1:8443", "cert.pem", "key.pem"));
    /// builder.Services.AddSingleton&lt;IElectionHealthSource, WebClusterElectionHealth&gt;();
    /// </code></example>
    /// </summary>
    public static IHostApplicationBuilder AddLeaderElection(this IHostApplicationBuilder builder, params PublicEndpoint[] endpoints)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(endpoints);

        // NodeName defaults to Node:Name through NodeOptions, bound here too so that the election also works without
        // AddServiceDefaults (binding a section twice gives the same values).
        builder.Services.AddOptions<NodeOptions>().BindConfiguration(NodeOptions.Section);
        builder.AddValidatedOptions<ElectionOptions>(ElectionOptions.Section)
            .PostConfigure<IOptions<NodeOptions>>((o, node) => o.NodeName ??= node.Value.Name);
        builder.Services.AddSingleton<IValidateOptions<ElectionOptions>, ElectionOptionsValidator>();

        var provider = new PublicEndpointConfigurationProvider();
        builder.Configuration.Add(new PublicEndpointConfigurationSource(provider));
        var observer = new ListenBindObserver();
        foreach (var endpoint in endpoints)
        {
            observer.WatchedPorts.Add(endpoint.Port);
        }

        builder.Services.AddSingleton(provider);
        builder.Services.AddSingleton(observer);
        builder.Services.Configure<SocketTransportOptions>(observer.Install);

        // A pair's handover ends keep-alive before letting go (both modes): it needs to see the public connections and
        // their responses.
        var drain = new KeepAliveDrain(observer.WatchedPorts);
        builder.Services.AddSingleton(drain);
        builder.Services.AddOptions<KestrelServerOptions>().Configure<IOptions<ElectionOptions>>((kestrel, election) =>
        {
            if (election.Value.Enabled)
            {
                kestrel.ConfigureEndpointDefaults(listen => listen.Use(drain.Track));
            }
        });
        builder.Services.AddTransient<IStartupFilter, KeepAliveDrainStartupFilter>();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.TryAddSingleton<IVirtualEndpoint>(sp =>
        {
            if (endpoints.Length == 0)
            {
                throw new InvalidOperationException("AddLeaderElection needs at least one PublicEndpoint, or an IVirtualEndpoint registered before it.");
            }

            var time = sp.GetRequiredService<TimeProvider>();
            var listen = new ListenVirtualEndpoint(provider, observer, drain, endpoints, time, sp.GetRequiredService<ILogger<ListenVirtualEndpoint>>());
            var options = sp.GetRequiredService<IOptions<ElectionOptions>>().Value;
            if (options.Enabled && options.Mode != ElectionOptions.AddressMode && SharedListenSocket.IsSupported)
            {
                ConnectionMigration.EnsureEnabled(sp.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ConnectionMigration)));
            }

            return options.Enabled && options.Mode == ElectionOptions.AddressMode && VirtualAddress.TryParse(options.VirtualAddress, out var address)
                ? new AddressVirtualEndpoint(
                    listen, drain, observer, () => sp.GetRequiredService<ILeaderElection>().GetSnapshot(), address, options.Interface!,
                    AddressLifetime.From(options, ReferenceEquals(time, TimeProvider.System) ? DedicatedThreadTimeProvider.Instance : time),
                    time, sp.GetRequiredService<ILogger<AddressVirtualEndpoint>>())
                : listen;
        });

        builder.Services.AddMetrics();
        builder.Services.TryAddSingleton<ElectionMetrics>();
        builder.Services.AddSingleton<ILeaderElection>(sp => sp.GetRequiredService<IOptions<ElectionOptions>>().Value.Enabled
            ? ActivatorUtilities.CreateInstance<ElectionService>(sp)
            : ActivatorUtilities.CreateInstance<SingleNodeElection>(sp));
        builder.Services.AddSingleton<IHostedService>(sp => (IHostedService)sp.GetRequiredService<ILeaderElection>());
        return builder;
    }
}
