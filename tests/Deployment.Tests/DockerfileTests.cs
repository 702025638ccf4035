using System.Text.RegularExpressions;
using System.Xml.Linq;
using Foobar.Deployment.Tests.Support;
using Foobar.TestSupport;

namespace Foobar.Deployment.Tests;

/// <summary>What a `docker build` of each Dockerfile needs from the context, and the shape docs/containers.md describes for the images.</summary>
public sealed class DockerfileTests
{
    public static TheoryData<string> Dockerfiles => [.. Dockerfile.All];

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void CopySources_ExistInTheBuildContext(string name)
    {
        var dockerfile = Dockerfile.Load(name);
        var ignore = DockerIgnore.Load();
        var problems = new List<string>();
        foreach (var stage in dockerfile.Stages)
        {
            foreach (var copy in stage.Copies)
            {
                if (copy.From is { } from)
                {
                    var source = dockerfile.Stages.TakeWhile(s => s != stage).SingleOrDefault(s => s.Name == from);
                    if (source is null)
                    {
                        problems.Add($"line {copy.Line}: --from={from} names no earlier stage");
                    }
                    else if (!copy.Sources.All(path => source.All("RUN").Any(run => Regex.IsMatch(run.Arguments, $@"(-o|--output)\s+{Regex.Escape(path.TrimEnd('/'))}(\s|$)"))))
                    {
                        problems.Add($"line {copy.Line}: {string.Join(' ', copy.Sources)} is not what stage {from} publishes");
                    }

                    continue;
                }

                foreach (var path in copy.Sources)
                {
                    var full = Path.Combine(RepoPaths.Root, path);
                    if (!File.Exists(full) && !Directory.Exists(full))
                    {
                        problems.Add($"line {copy.Line}: {path} does not exist");
                    }
                    else if (ignore.IsExcluded(path))
                    {
                        problems.Add($"line {copy.Line}: {path} is excluded by .dockerignore");
                    }
                }
            }
        }

        Assert.True(problems.Count == 0, $"{name}:\n{string.Join('\n', problems)}");
    }

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void RestoreLayer_CopiesEveryProjectFileItNeeds_AndNoSources(string name)
    {
        var build = Dockerfile.Load(name).Stages[0];
        var restoreIndex = build.Instructions.ToList().FindIndex(i => i.Keyword == "RUN" && i.Arguments.StartsWith("dotnet restore ", StringComparison.Ordinal));
        Assert.True(restoreIndex > 0, "the build stage runs dotnet restore");
        var project = build.Instructions[restoreIndex].Arguments["dotnet restore ".Length..].Trim();
        var beforeRestore = build.Instructions.Take(restoreIndex).Where(i => i.Keyword == "COPY").Select(CopyInstruction.Parse).SelectMany(c => c.Sources).ToList();

        // Only build settings and project files before the restore, so that editing code keeps the restore layer cached.
        Assert.All(beforeRestore, source => Assert.Matches(@"^(global\.json|Directory\.(Build|Packages)\.props|\.editorconfig|src/[^/]+/[^/]+\.csproj)$", source));
        Assert.Contains("Directory.Packages.props", beforeRestore);
        Assert.Contains("Directory.Build.props", beforeRestore);
        Assert.Contains("global.json", beforeRestore);
        Assert.Equal(ProjectClosure(project).Order(StringComparer.Ordinal), beforeRestore.Where(s => s.EndsWith(".csproj", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void Stages_BuildOnTheSdk_RunOnAspnet_AsTheNonRootAppUser(string name)
    {
        var dockerfile = Dockerfile.Load(name);

        Assert.Equal(2, dockerfile.Stages.Count);
        Assert.Equal("mcr.microsoft.com/dotnet/sdk:10.0", dockerfile.Stages[0].BaseImage);
        Assert.Equal("mcr.microsoft.com/dotnet/aspnet:10.0", dockerfile.Final.BaseImage);
        Assert.Matches(@"dotnet publish \S+ -c Release --no-restore -o /app$", Assert.Single(dockerfile.Stages[0].All("RUN"), r => r.Arguments.StartsWith("dotnet publish", StringComparison.Ordinal)).Arguments);
        // The aspnet image's built-in user `app` (uid $APP_UID, 1654); nothing after USER switches back to root.
        Assert.Equal("$APP_UID", dockerfile.Final.All("USER").Last().Arguments);
        var user = dockerfile.Final.Instructions.ToList().FindLastIndex(i => i.Keyword == "USER");
        Assert.DoesNotContain(dockerfile.Final.Instructions.Skip(user), i => i.Keyword is "RUN" or "COPY" or "ADD");
    }

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void Healthcheck_IsTheServicesOwnSubcommand_NoCurl(string name)
    {
        var dockerfile = Dockerfile.Load(name);
        var dll = $"{dockerfile.Project}.dll";

        Assert.Equal(["dotnet", dll, "healthcheck"], dockerfile.Final.ExecForm("HEALTHCHECK"));
        Assert.Equal(["dotnet", dll], dockerfile.Final.ExecForm("ENTRYPOINT")[^2..]);
        Assert.Equal("/app", dockerfile.Final.WorkDir);
        Assert.Contains("interval", dockerfile.Final.HealthcheckOptions.Keys);
        Assert.Contains("start-period", dockerfile.Final.HealthcheckOptions.Keys);
        Assert.DoesNotMatch(@"\b(curl|wget)\b", File.ReadAllText(Path.Combine(RepoPaths.Root, name)));
    }

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void Entrypoint_RunsTheSecretsScriptItCopies(string name)
    {
        var final = Dockerfile.Load(name).Final;
        var entrypoint = final.ExecForm("ENTRYPOINT");

        // Run through sh, so the script needs no executable bit (a Windows checkout loses it).
        Assert.Equal("/bin/sh", entrypoint[0]);
        var copy = Assert.Single(final.Copies, c => c.Sources.SequenceEqual(["deploy/entrypoint.sh"]));
        Assert.Equal(entrypoint[1], copy.Destination);
    }

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void Expose_ListsEveryListenerPortOfTheImage(string name)
    {
        var final = Dockerfile.Load(name).Final;
        var exposed = final.All("EXPOSE").SelectMany(e => e.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Select(p => int.Parse(p.Split('/')[0], System.Globalization.CultureInfo.InvariantCulture)).ToHashSet();
        var listeners = final.Environment.Where(e => e.Key is "ASPNETCORE_URLS" or "Management__Url" or "Public__HttpUrl" or "Public__HttpsUrl" or "Admin__Url")
            .SelectMany(e => e.Value.Split(';'))
            .Select(u => new Uri(u).Port)
            .ToList();

        Assert.NotEmpty(listeners);
        Assert.All(listeners, port => Assert.Contains(port, exposed));
        // Unprivileged: the app user cannot bind below 1024.
        Assert.All(listeners, port => Assert.True(port >= 1024, $"{name}: port {port} needs root or CAP_NET_BIND_SERVICE"));
    }

    [Fact]
    public void DockerIgnore_KeepsBuildOutputTestsAndSecretsOutOfTheContext()
    {
        var ignore = DockerIgnore.Load();

        Assert.All(
            ["src/AppServer/bin/Debug/net10.0/AppServer.dll", "src/WebServer/obj/project.assets.json", ".foobar/tls/www.foobar.com.key.pem",
             "src/LoadBalancer/.foobar/tls/x.pem", "tests/AppServer.Tests/AppTierFixture.cs", ".git/HEAD", "deploy/secrets/postgres_password", "bench/README.md"],
            path => Assert.True(ignore.IsExcluded(path), $"{path} should be excluded"));
        Assert.All(
            ["global.json", "Directory.Build.props", "Directory.Packages.props", ".editorconfig", "src/AppServer/Program.cs",
             "src/WebServer/wwwroot/index.html", "src/Data/Migrations/x.cs", "deploy/entrypoint.sh"],
            path => Assert.False(ignore.IsExcluded(path), $"{path} should be in the context"));
    }

    [Fact]
    public void DockerIgnore_Matcher_FollowsDockerRules()
    {
        var ignore = DockerIgnore.Parse("# comment\n**/bin\n/docs\n*.md\n!README.md\nsrc/*/secret?.txt\n");

        Assert.True(ignore.IsExcluded("bin/x"));
        Assert.True(ignore.IsExcluded("a/b/bin/c/d"));
        Assert.False(ignore.IsExcluded("a/binary/c"));
        Assert.True(ignore.IsExcluded("docs/x.md"));
        Assert.True(ignore.IsExcluded("CHANGES.md"));
        Assert.False(ignore.IsExcluded("README.md"));
        Assert.False(ignore.IsExcluded("src/x.md/y"));
        Assert.True(ignore.IsExcluded("src/a/secret1.txt"));
        Assert.False(ignore.IsExcluded("src/a/b/secret1.txt"));
    }

    [Fact]
    public void Parser_JoinsContinuationsAndSplitsStages()
    {
        var dockerfile = Dockerfile.Parse("test", "# syntax=docker/dockerfile:1\nFROM a:1 AS build\nRUN one \\\n  # note\n  two\nFROM b:2\nENV A=1 \\\n    B=http://x:2\nCOPY --from=build /out ./\n");

        Assert.Equal([("build", "a:1"), (null, "b:2")], dockerfile.Stages.Select(s => (s.Name, s.BaseImage)));
        Assert.Equal("one two", Assert.Single(dockerfile.Stages[0].All("RUN")).Arguments);
        Assert.Equal(new Dictionary<string, string> { ["A"] = "1", ["B"] = "http://x:2" }, dockerfile.Final.Environment);
        Assert.Equal(new CopyInstruction(["/out"], "./", "build", 9), Assert.Single(dockerfile.Final.Copies), new CopyComparer());
    }

    /// <summary>The csproj files (repository-relative) of a project and every project it references, transitively.</summary>
    private static HashSet<string> ProjectClosure(string project)
    {
        var closure = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([project]);
        while (pending.TryPop(out var next))
        {
            if (!closure.Add(next))
            {
                continue;
            }

            var path = Path.Combine(RepoPaths.Root, next);
            foreach (var reference in XDocument.Load(path).Descendants("ProjectReference"))
            {
                var referenced = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, reference.Attribute("Include")!.Value));
                pending.Push(Path.GetRelativePath(RepoPaths.Root, referenced).Replace('\\', '/'));
            }
        }

        return closure;
    }

    private sealed class CopyComparer : IEqualityComparer<CopyInstruction>
    {
        public bool Equals(CopyInstruction? x, CopyInstruction? y) =>
            x is not null && y is not null && x.Sources.SequenceEqual(y.Sources) && (x.Destination, x.From, x.Line) == (y.Destination, y.From, y.Line);

        public int GetHashCode(CopyInstruction obj) => obj.Destination.GetHashCode(StringComparison.Ordinal);
    }
}
