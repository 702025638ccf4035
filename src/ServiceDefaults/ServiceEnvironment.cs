namespace Foobar.ServiceDefaults;

/// <summary>
/// The environment a foobar service (AppServer, WebServer, LoadBalancer) is started with as a child process: the one
/// contract the Launcher, the tests and the benchmarks share. Production mode, the node's name, its listen URLs, its
/// settings as configuration keys (<c>Election:Peers:0</c> becomes <c>Election__Peers__0</c>, the environment
/// provider's rule), and the variable that makes it stop when its parent's stdin pipe closes.
/// </summary>
public sealed class ServiceEnvironment
{
    /// <summary>Makes a service stop when its standard input reaches EOF (<see cref="StdinEofWatchdog"/>).</summary>
    public const string StopOnStdinEofVariable = "FOOBAR_STOP_ON_STDIN_EOF";

    /// <summary>The .NET runtime's switch that runs socket completions inline on the epoll thread.</summary>
    public const string InlineSocketCompletionsVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    private const string UrlsVariable = "ASPNETCORE_URLS";
    private readonly Dictionary<string, string?> _variables;

    /// <param name="nodeName">The node's name in logs, <c>X-Served-By</c> and <c>Via</c> (<c>Node:Name</c>).</param>
    /// <param name="stopOnStdinEof">
    /// Whether the service watches its stdin; only for a parent that holds a pipe open on it (<c>ChildProcess</c>),
    /// since an inherited terminal or /dev/null would stop it at once.
    /// </param>
    public ServiceEnvironment(string nodeName, bool stopOnStdinEof = true)
    {
        _variables = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            // Null removes an inherited value: a service without Listen() keeps to its own configured listeners.
            [UrlsVariable] = null,
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["DOTNET_ENVIRONMENT"] = "Production",
        };
        Set(NodeOptions.Section + ":" + nameof(NodeOptions.Name), nodeName);
        if (stopOnStdinEof)
        {
            _variables[StopOnStdinEofVariable] = "1";
        }
    }

    /// <summary>The variables to pass to the process; a null value removes an inherited one.</summary>
    public IReadOnlyDictionary<string, string?> Variables => _variables;

    /// <summary>The environment variable that sets configuration key <paramref name="key"/> (':' becomes '__').</summary>
    public static string VariableName(string key) => key.Replace(":", "__", StringComparison.Ordinal);

    /// <summary>The main listener (ASPNETCORE_URLS).</summary>
    public ServiceEnvironment Listen(IEnumerable<string> urls)
    {
        _variables[UrlsVariable] = string.Join(';', urls);
        return this;
    }

    /// <summary>
    /// For the proxies (web and load balancer), whose pipelines never block: socket completions run inline instead of
    /// hopping to the thread pool (measured in bench/README.md; Dockerfile.lb and Dockerfile.web set the same).
    /// </summary>
    public ServiceEnvironment InlineSocketCompletions()
    {
        _variables[InlineSocketCompletionsVariable] = "1";
        return this;
    }

    /// <summary>Sets configuration key <paramref name="key"/> (e.g. <c>Admin:Url</c>).</summary>
    public ServiceEnvironment Set(string key, string? value)
    {
        _variables[VariableName(key)] = value;
        return this;
    }

    /// <summary>Sets every configuration key of <paramref name="settings"/>.</summary>
    public ServiceEnvironment Set<TValue>(IEnumerable<KeyValuePair<string, TValue>> settings)
        where TValue : class?
    {
        foreach (var (key, value) in settings)
        {
            Set(key, value?.ToString());
        }

        return this;
    }
}
