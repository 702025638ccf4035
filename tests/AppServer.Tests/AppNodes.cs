using Foobar.TestSupport;

namespace Foobar.AppServer.Tests;

/// <summary>App server processes configured the way the Launcher configures them.</summary>
internal static class AppNodes
{
    public static ServiceNode Create(string name, string connectionString, IDictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?> { ["ConnectionStrings:Foobar"] = connectionString };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        return new ServiceNode("AppServer", name, settings);
    }

    public static ServiceNode Migrate(string connectionString) =>
        new("AppServer", "migrate", new Dictionary<string, string?> { ["ConnectionStrings:Foobar"] = connectionString }, null, "migrate");
}
