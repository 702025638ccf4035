using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Yarp.ReverseProxy.Configuration;

namespace Foobar.Proxy;

/// <summary>
/// YARP's configuration (<see cref="ClusterProxyConfig"/>) following its configuration section: when appsettings (or any reloadable
/// source) changes, the section is bound and validated again and YARP gets the new destinations without a restart.
/// Destinations that stay keep their health state (YARP matches them by id). A change that fails validation is
/// logged and ignored: the running cluster is never replaced by one the process would have refused to start with.
/// </summary>
internal sealed partial class ReloadingClusterConfigProvider : IProxyConfigProvider, IDisposable
{
    private readonly IOptionsFactory<ProxyClusterOptions> _factory;
    private readonly ProxyDefinition _definition;
    private readonly ILogger<ReloadingClusterConfigProvider> _logger;
    private readonly IDisposable[] _subscriptions;
    private readonly Lock _gate = new();
    private (IProxyConfig Config, CancellationTokenSource Changed)? _current;
    private string _applied;

    public ReloadingClusterConfigProvider(
        IOptions<ProxyClusterOptions> initial,
        IOptionsFactory<ProxyClusterOptions> factory,
        IEnumerable<IOptionsChangeTokenSource<ProxyClusterOptions>> sources,
        ProxyDefinition definition,
        ILogger<ReloadingClusterConfigProvider> logger)
    {
        _factory = factory;
        _definition = definition;
        _logger = logger;
        _current = Create(initial.Value);
        _applied = Fingerprint(initial.Value);
        _subscriptions = [.. sources.Select(source => ChangeToken.OnChange(source.GetChangeToken, Reload))];
    }

    public IProxyConfig GetConfig()
    {
        lock (_gate)
        {
            return _current!.Value.Config;
        }
    }

    public void Dispose()
    {
        foreach (var subscription in _subscriptions)
        {
            subscription.Dispose();
        }
    }

    private (IProxyConfig, CancellationTokenSource) Create(ProxyClusterOptions options)
    {
        var changed = new CancellationTokenSource();
        var config = ClusterProxyConfig.Build(options, _definition, new CancellationChangeToken(changed.Token));
        return (config, changed);
    }

    private void Reload()
    {
        ProxyClusterOptions options;
        try
        {
            options = _factory.Create(Options.DefaultName);
        }
        catch (OptionsValidationException ex)
        {
            Log.Rejected(_logger, _definition.Section, string.Join("; ", ex.Failures));
            return;
        }

        // Any reloadable source fires this, e.g. the election's listener keys on every change of leader:
        // rebuild the cluster (and log it) only when this section really changed.
        var fingerprint = Fingerprint(options);
        CancellationTokenSource previous;
        lock (_gate)
        {
            if (fingerprint == _applied)
            {
                return;
            }

            _applied = fingerprint;
            previous = _current!.Value.Changed;
            _current = Create(options);
        }

        Log.Reloaded(_logger, _definition.ClusterId, string.Join(", ", options.Destinations));
        previous.Cancel();
        previous.Dispose();
    }

    private static string Fingerprint(ProxyClusterOptions options) => System.Text.Json.JsonSerializer.Serialize(options);
}
