namespace Foobar.TestSupport;

/// <summary>Where the repository and the built services are, seen from a test assembly.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>Debug or Release: the configuration the tests themselves were built with, so services match.</summary>
    public static string Configuration { get; } =
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";

    /// <summary>The built entry assembly of a service project under src/, e.g. <c>AppServer</c>.</summary>
    public static string ServiceDll(string project)
    {
        var dll = Path.Combine(Root, "src", project, "bin", Configuration, "net10.0", $"{project}.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"{project} is not built ({dll}); the test project's ProjectReference should build it", dll);
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

        throw new InvalidOperationException("Foobar.slnx not found above " + AppContext.BaseDirectory);
    }
}
