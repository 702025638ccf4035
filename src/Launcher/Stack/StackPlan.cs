using System.Globalization;

namespace Foobar.Launcher.Stack;

/// <summary>
/// The nodes of a local stack and how they find each other: app servers on 127.0.0.1:5101.., web servers
/// on 5201.. forwarding to every app server, and lb-1/lb-2 sharing the virtual endpoint 127.0.0.1:8080
/// (HTTPS 8443), electing a leader over UDP 9201/9202, with admin ports 9101/9102.
/// </summary>
internal sealed class StackPlan
{
    public const int ManagementOffset = 50;

    public StackPlan(LauncherOptions options, string connectionString, string dataDirectory, string electionKey, string adminToken)
    {
        Options = options;
        ConnectionString = connectionString;
        DataDirectory = dataDirectory;
        Endpoint = $"http://127.0.0.1:{options.HttpPort}";
        HttpsEndpoint = $"https://127.0.0.1:{options.HttpsPort}";
        AdminToken = adminToken;

        var appUrls = Enumerable.Range(1, options.App).Select(i => Url(options.AppBasePort + i)).ToList();
        var webUrls = Enumerable.Range(1, options.Web).Select(i => Url(options.WebBasePort + i)).ToList();

        Nodes =
        [
            .. Enumerable.Range(1, options.App).Select(i => App(i, appUrls[i - 1], connectionString)),
            .. Enumerable.Range(1, options.Web).Select(i => Web(i, webUrls[i - 1], appUrls)),
            .. Enumerable.Range(1, options.LoadBalancers).Select(i => Lb(i, webUrls, dataDirectory, electionKey)),
        ];
    }

    public LauncherOptions Options { get; }

    /// <summary>The database the app servers and the migration use.</summary>
    public string ConnectionString { get; }

    /// <summary>Where logs, the TLS certificate, secrets and stack.json live (full path).</summary>
    public string DataDirectory { get; }

    public string Endpoint { get; }

    public string HttpsEndpoint { get; }

    public string AdminToken { get; }

    public IReadOnlyList<NodeSpec> Nodes { get; }

    /// <summary>Ports that must be free before anything starts: every node's own plus the shared endpoint.</summary>
    public IEnumerable<int> AllPorts => Nodes.SelectMany(n => n.Ports).Append(Options.HttpPort).Append(Options.HttpsPort).Distinct();

    private NodeSpec App(int index, string url, string connectionString)
    {
        var port = Options.AppBasePort + index;
        var management = Url(port + ManagementOffset);
        return new NodeSpec($"app-{index}", NodeRole.App, "AppServer", [url], $"{url}/health/ready", new Dictionary<string, string>
        {
            ["ConnectionStrings:Foobar"] = connectionString,
            ["Management:Url"] = management,
        })
        { AdminUrl = management, Ports = [port, port + ManagementOffset] };
    }

    private NodeSpec Web(int index, string url, IReadOnlyList<string> appUrls)
    {
        var port = Options.WebBasePort + index;
        var management = Url(port + ManagementOffset);
        var settings = new Dictionary<string, string> { ["Management:Url"] = management };
        for (var i = 0; i < appUrls.Count; i++)
        {
            settings[$"AppServers:Destinations:{i}"] = appUrls[i];
        }

        return new NodeSpec($"web-{index}", NodeRole.Web, "WebServer", [url], $"{url}/health/ready", settings)
        { AdminUrl = management, Ports = [port, port + ManagementOffset] };
    }

    private NodeSpec Lb(int index, IReadOnlyList<string> webUrls, string dataDirectory, string electionKey)
    {
        var admin = Url(Options.AdminPort + index - 1);
        var settings = new Dictionary<string, string>
        {
            ["Public:HttpUrl"] = Endpoint,
            ["Public:HttpsUrl"] = HttpsEndpoint,
            ["Admin:Url"] = admin,
            ["Admin:Token"] = AdminToken,
            ["Tls:Directory"] = Path.Combine(dataDirectory, "tls"),
            // lb-1 is the preferred leader; with preemption it takes the endpoint back when it returns.
            ["Election:Enabled"] = Options.LoadBalancers > 1 ? "true" : "false",
            ["Election:Priority"] = index == 1 ? "200" : "100",
            ["Election:Bind"] = $"127.0.0.1:{Options.ElectionPort + index - 1}",
            ["Election:Key"] = electionKey,
        };
        var peer = 0;
        for (var other = 1; other <= Options.LoadBalancers; other++)
        {
            if (other != index)
            {
                settings[$"Election:Peers:{peer++}"] = $"127.0.0.1:{Options.ElectionPort + other - 1}";
            }
        }

        for (var i = 0; i < webUrls.Count; i++)
        {
            settings[$"WebServers:Destinations:{i}"] = webUrls[i];
        }

        return new NodeSpec($"lb-{index}", NodeRole.Lb, "LoadBalancer", [Endpoint, HttpsEndpoint], $"{admin}/status", settings)
        { AdminUrl = admin, Ports = [Options.AdminPort + index - 1] };
    }

    private static string Url(int port) => string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}");
}
