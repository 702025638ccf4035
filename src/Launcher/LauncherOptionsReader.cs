using System.Collections;
using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;

namespace Foobar.Launcher;

/// <summary>
/// Reads <see cref="LauncherOptions"/> from the command line and the environment. Each option has one environment
/// name made from its switch (<c>--http-port</c> is <c>FOOBAR_HTTP_PORT</c>, <c>--lbs</c> is <c>FOOBAR_LBS</c>);
/// <c>FOOBAR_</c> plus the property name (<c>FOOBAR_HTTPPORT</c>) binds too. The command line wins.
/// </summary>
internal static class LauncherOptionsReader
{
    public const string EnvironmentPrefix = "FOOBAR_";

    /// <summary>The environment variable for <paramref name="switchName"/>, e.g. <c>--data-dir</c> to <c>FOOBAR_DATA_DIR</c>.</summary>
    public static string EnvironmentVariable(string switchName) =>
        EnvironmentPrefix + switchName.TrimStart('-').Replace('-', '_').ToUpperInvariant();

    public static bool TryRead(string[] args, IDictionary environment, out LauncherOptions options, out string error)
    {
        options = new LauncherOptions();
        error = "";
        try
        {
            var configuration = new ConfigurationBuilder()
                .AddInMemoryCollection(FromEnvironment(environment))
                .AddCommandLine(args, LauncherOptions.Switches.ToDictionary())
                .Build();
            options = configuration.Get<LauncherOptions>() ?? new LauncherOptions();
        }
        catch (Exception ex) when (ex is FormatException or InvalidOperationException)
        {
            error = ex.Message;
            return false;
        }

        var known = typeof(LauncherOptions).GetProperties().Select(p => p.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var fromCommandLine = args.Where(a => a.StartsWith("--", StringComparison.Ordinal)).Select(a => a.Split('=')[0]);
        if (fromCommandLine.FirstOrDefault(a => !LauncherOptions.Switches.ContainsKey(a) && !known.Contains(a[2..])) is { } unknown)
        {
            error = $"unknown option {unknown}";
            return false;
        }

        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true))
        {
            error = string.Join("; ", results.Select(r => $"{string.Join(",", r.MemberNames.Select(SwitchFor))}: {r.ErrorMessage}"));
            return false;
        }

        return true;
    }

    private static string SwitchFor(string property) =>
        LauncherOptions.Switches.FirstOrDefault(s => s.Value == property).Key ?? $"--{property.ToLowerInvariant()}";

    private static Dictionary<string, string?> FromEnvironment(IDictionary environment)
    {
        var byVariable = LauncherOptions.Switches.ToDictionary(s => EnvironmentVariable(s.Key), s => s.Value, StringComparer.OrdinalIgnoreCase);
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (DictionaryEntry entry in environment)
        {
            if (entry.Key is string name && name.StartsWith(EnvironmentPrefix, StringComparison.OrdinalIgnoreCase))
            {
                // The switch form first; otherwise the property name, as the environment configuration provider reads it.
                var key = byVariable.TryGetValue(name, out var property) ? property : name[EnvironmentPrefix.Length..].Replace("__", ":", StringComparison.Ordinal);
                settings[key] = entry.Value as string;
            }
        }

        return settings;
    }
}
