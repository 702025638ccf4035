using System.ComponentModel.DataAnnotations;

namespace Foobar.Launcher;

/// <summary>
/// Command-line options of the Launcher (<c>--web 3 --app 2 --http-port 8080</c> ...), bound through
/// ordinary configuration so that every option can also come from the environment (<c>FOOBAR_WEB=3</c>).
/// </summary>
internal sealed record LauncherOptions
{
    public static readonly IReadOnlyDictionary<string, string> Switches = new Dictionary<string, string>
    {
        ["--web"] = nameof(Web),
        ["--app"] = nameof(App),
        ["--lbs"] = nameof(LoadBalancers),
        ["--http-port"] = nameof(HttpPort),
        ["--https-port"] = nameof(HttpsPort),
        ["--admin-port"] = nameof(AdminPort),
        ["--election-port"] = nameof(ElectionPort),
        ["--app-port"] = nameof(AppBasePort),
        ["--web-port"] = nameof(WebBasePort),
        ["--postgres-port"] = nameof(PostgresPort),
        ["--connection-string"] = nameof(ConnectionString),
        ["--data-dir"] = nameof(DataDirectory),
        ["--configuration"] = nameof(Configuration),
    };

    /// <summary>Number of web servers (web-1..N).</summary>
    [Range(1, 20)]
    public int Web { get; init; } = 2;

    /// <summary>Number of app servers (app-1..M).</summary>
    [Range(1, 20)]
    public int App { get; init; } = 2;

    /// <summary>Load balancers sharing the virtual endpoint (lb-1, lb-2).</summary>
    [Range(1, 2)]
    public int LoadBalancers { get; init; } = 2;

    /// <summary>The virtual endpoint's HTTP port on 127.0.0.1.</summary>
    [Range(1, 65535)]
    public int HttpPort { get; init; } = 8080;

    [Range(1, 65535)]
    public int HttpsPort { get; init; } = 8443;

    /// <summary>lb-1's admin port; lb-2 uses the next one.</summary>
    [Range(1, 65534)]
    public int AdminPort { get; init; } = 9101;

    /// <summary>lb-1's election (UDP) port; lb-2 uses the next one.</summary>
    [Range(1, 65534)]
    public int ElectionPort { get; init; } = 9201;

    /// <summary>app-1 listens on this port + 1, app-2 on + 2, ...; their management listeners on + 50.</summary>
    [Range(1, 65000)]
    public int AppBasePort { get; init; } = 5100;

    /// <summary>web-1 listens on this port + 1, ...; their management listeners on + 50.</summary>
    [Range(1, 65000)]
    public int WebBasePort { get; init; } = 5200;

    [Range(1, 65535)]
    public int PostgresPort { get; init; } = 5433;

    /// <summary>Use this PostgreSQL instead of a local cluster (also <c>ConnectionStrings__Foobar</c>).</summary>
    public string? ConnectionString { get; init; }

    /// <summary>Where the local cluster, logs, the TLS certificate and stack.json live.</summary>
    [Required]
    public string DataDirectory { get; init; } = ".foobar";

    /// <summary>Build configuration of the services to run (the Launcher's own by default).</summary>
    public string? Configuration { get; init; }
}
