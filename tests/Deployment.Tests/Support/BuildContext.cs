using Foobar.TestSupport;

namespace Foobar.Deployment.Tests.Support;

/// <summary>
/// What the build stage of a Dockerfile sees: a temporary directory standing for its WORKDIR, filled by its COPY
/// instructions from the repository as the build context (.dockerignore applied).
/// </summary>
internal static class BuildContext
{
    /// <summary>Does what one context COPY does to <paramref name="workDir"/>; returns the number of files copied.</summary>
    public static int Apply(CopyInstruction copy, string workDir, DockerIgnore ignore)
    {
        if (copy.From is not null)
        {
            throw new ArgumentException($"line {copy.Line}: COPY --from copies from a stage, not the context", nameof(copy));
        }

        var destination = copy.Destination.StartsWith('/') ? throw new NotSupportedException($"line {copy.Line}: absolute destination in a build stage") : Path.Combine(workDir, copy.Destination);
        return copy.Sources.Sum(source => CopySource(source, destination, copy.Destination.EndsWith('/') || copy.Sources.Count > 1, ignore));
    }

    /// <summary>Docker's rule: a directory source copies its contents; a file goes into a destination ending in '/'.</summary>
    private static int CopySource(string source, string destination, bool destinationIsDirectory, DockerIgnore ignore)
    {
        var path = Path.Combine(RepoPaths.Root, source);
        if (File.Exists(path))
        {
            if (ignore.IsExcluded(source))
            {
                throw new FileNotFoundException($"COPY {source}: excluded by .dockerignore", source);
            }

            var target = destinationIsDirectory ? Path.Combine(destination, Path.GetFileName(path)) : destination;
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(path, target, overwrite: true);
            return 1;
        }

        if (!Directory.Exists(path))
        {
            throw new FileNotFoundException($"COPY {source}: not in the build context", source);
        }

        var count = 0;
        foreach (var file in Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(RepoPaths.Root, file).Replace('\\', '/');
            if (ignore.IsExcluded(relative))
            {
                continue;
            }

            var target = Path.Combine(destination, Path.GetRelativePath(path, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
            count++;
        }

        return count;
    }
}
