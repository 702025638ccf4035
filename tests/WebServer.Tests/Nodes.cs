using Foobar.TestSupport;

namespace Foobar.WebServer.Tests;

/// <summary>App and web server processes configured the way the Launcher configures them.</summary>
internal static class Nodes
{
    public static ServiceNode Migrate(string connectionString) =>
        new("AppServer", "migrate", new Dictionary<string, string?> { ["ConnectionStrings:Foobar"] = connectionString }, null, "migrate");

    public static ServiceNode App(string name, string connectionString, int? port = null) =>
        new("AppServer", name, new Dictionary<string, string?> { ["ConnectionStrings:Foobar"] = connectionString }, port);

    /// <summary>A web server forwarding to <paramref name="appServers"/>, with its management listener on <paramref name="managementPort"/>.</summary>
    public static ServiceNode Web(string name, IEnumerable<ServiceNode> appServers, int managementPort)
    {
        var settings = new Dictionary<string, string?> { ["Management:Url"] = $"http://127.0.0.1:{managementPort}" };
        var i = 0;
        foreach (var app in appServers)
        {
            settings[$"AppServers:Destinations:{i++}"] = app.BaseUrl.GetLeftPart(UriPartial.Authority);
        }

        return new ServiceNode("WebServer", name, settings);
    }
}
