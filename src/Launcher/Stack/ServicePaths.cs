namespace Foobar.Launcher.Stack;

/// <summary>Where the built services are: beside this Launcher in the same repository and configuration.</summary>
public static class ServicePaths
{
    public static string RepositoryRoot { get; } = FindRoot();

    public static string DefaultConfiguration { get; } =
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";

    public static string Dll(string project, string? configuration = null)
    {
        var dll = Path.Combine(RepositoryRoot, "src", project, "bin", configuration ?? DefaultConfiguration, "net10.0", $"{project}.dll");
        return File.Exists(dll)
            ? dll
            : throw new FileNotFoundException($"{project} is not built: {dll} is missing. Build it with `dotnet build src/{project}` (the Launcher's `dotnet run` builds it).", dll);
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Foobar.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"Foobar.slnx not found above {AppContext.BaseDirectory}: run the Launcher from the repository.");
    }
}
