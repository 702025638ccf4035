using Foobar.ServiceDefaults;

namespace Foobar.Deployment.Tests.Support;

/// <summary>
/// Maps each environment variable a container gets to what reads it, and reports the ones nothing reads: a variable
/// is either a configuration key of the service (<c>__</c> for <c>:</c>, see <see cref="OptionKeyCatalog"/>), the
/// <c>NAME_FILE</c> form that deploy/entrypoint.sh turns into <c>NAME</c>, or one of the few variables read outside
/// the options: the ASP.NET host's, the runtime's, the stdin watchdog's and Npgsql's own.
/// </summary>
internal static class EnvironmentKeyChecker
{
    public const string FileSuffix = "_FILE";

    /// <summary>Read by the ASP.NET host itself (WebApplication's ASPNETCORE_ and DOTNET_ prefixed host settings).</summary>
    private static readonly string[] HostVariables = ["ASPNETCORE_URLS", "ASPNETCORE_HTTP_PORTS", "ASPNETCORE_HTTPS_PORTS", "ASPNETCORE_ENVIRONMENT", "DOTNET_ENVIRONMENT",
        // Read by the .NET runtime itself (System.Net.Sockets), not by configuration.
        ServiceEnvironment.InlineSocketCompletionsVariable,
        // Read by ServiceDefaults' StdinEofWatchdog before configuration is built.
        ServiceEnvironment.StopOnStdinEofVariable];

    /// <summary>Read by Npgsql when the connection string leaves them out (libpq's variables).</summary>
    private static readonly string[] NpgsqlVariables = ["PGPASSWORD", "PGPASSFILE"];

    /// <summary>Read by deploy/entrypoint.sh itself (the replica's node name from Docker's DNS), in our images only.</summary>
    private static readonly string[] EntrypointVariables = ["FOOBAR_REPLICA_OF"];

    /// <summary>The problems, one line each naming the variable; empty when every variable binds.</summary>
    public static IReadOnlyList<string> Check(IReadOnlyDictionary<string, string> environment, OptionKeyCatalog catalog, bool entrypointReadsFiles)
    {
        var problems = new List<string>();
        foreach (var name in environment.Keys)
        {
            var target = entrypointReadsFiles && name.EndsWith(FileSuffix, StringComparison.Ordinal) ? name[..^FileSuffix.Length] : name;
            if (target != name && !environment[name].StartsWith("/run/secrets/", StringComparison.Ordinal))
            {
                problems.Add($"{name}: a file setting should point at a compose secret under /run/secrets, not '{environment[name]}'");
            }

            if (HostVariables.Contains(target, StringComparer.Ordinal)
                || (entrypointReadsFiles && EntrypointVariables.Contains(target, StringComparer.Ordinal))
                || (catalog.UsesNpgsql && NpgsqlVariables.Contains(target, StringComparer.Ordinal)))
            {
                continue;
            }

            var key = target.Replace("__", ":", StringComparison.Ordinal);
            if (!catalog.Contains(key))
            {
                var section = key.Split(':')[0];
                var hint = catalog.Sections.TryGetValue(section, out var type)
                    ? $"{type} has no such key; its keys: {string.Join(", ", catalog.Keys.Where(k => k.StartsWith(section + ":", StringComparison.OrdinalIgnoreCase)))}"
                    : $"no options section '{section}' (sections: {string.Join(", ", catalog.Sections.Keys.Order())})";
                problems.Add($"{name} -> {key}: not read by {catalog.Project}: {hint}");
            }
        }

        return problems;
    }
}
