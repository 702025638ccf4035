using Foobar.Deployment.Tests.Support;
using Foobar.Launcher;
using Foobar.Launcher.Stack;

namespace Foobar.Deployment.Tests;

/// <summary>Every environment variable the images and the compose file set is read by the service that gets it.</summary>
public sealed class EnvironmentKeyTests
{
    /// <summary>The official postgres image's documented variables (hub.docker.com/_/postgres, "Environment Variables").</summary>
    private static readonly string[] PostgresImageVariables =
        ["POSTGRES_PASSWORD", "POSTGRES_PASSWORD_FILE", "POSTGRES_USER", "POSTGRES_USER_FILE", "POSTGRES_DB", "POSTGRES_DB_FILE",
         "POSTGRES_INITDB_ARGS", "POSTGRES_INITDB_WALDIR", "POSTGRES_HOST_AUTH_METHOD", "PGDATA",
         // Ours, read by deploy/postgres-init/10-app-role.sh, which the image runs at first start.
         "FOOBAR_APP_PASSWORD_FILE"];

    [Fact]
    public async Task ComposeEnvironment_EveryVariable_BindsToAnOptionKey()
    {
        var compose = await ComposeFile.LoadAsync();
        var problems = new List<string>();
        var checkedServices = new List<string>();
        // The monitoring profile's prometheus is Debian's package with command-line flags, not one of our services.
        foreach (var service in compose.Services.Values.Where(s => s.Dockerfile is not null && s.Node["profiles"] is null))
        {
            var dockerfile = Dockerfile.Load(service.Dockerfile!);
            var catalog = OptionKeyCatalog.ForService(dockerfile.Project);
            problems.AddRange(EnvironmentKeyChecker.Check(service.Environment, catalog, ReadsFiles(dockerfile)).Select(p => $"{service.Name}: {p}"));
            checkedServices.Add(service.Name);
        }

        Assert.Equal(["app", "lb-1", "lb-2", "migrate", "web"], checkedServices.Order(StringComparer.Ordinal));
        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Theory]
    [InlineData("Dockerfile.app")]
    [InlineData("Dockerfile.web")]
    [InlineData("Dockerfile.lb")]
    public void ImageEnvironment_EveryVariable_BindsToAnOptionKey(string name)
    {
        var dockerfile = Dockerfile.Load(name);
        var catalog = OptionKeyCatalog.ForService(dockerfile.Project);

        // APP_UID and the runtime's own variables come from the base image; these are the ones our Dockerfiles add.
        var problems = EnvironmentKeyChecker.Check(dockerfile.Final.Environment, catalog, ReadsFiles(dockerfile));

        Assert.NotEmpty(dockerfile.Final.Environment);
        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void LauncherEnvironment_EveryVariable_BindsToAnOptionKey(int loadBalancers)
    {
        var plan = new StackPlan(new LauncherOptions { LoadBalancers = loadBalancers }, "Host=db", "/data", "key", "token");
        var problems = new List<string>();

        foreach (var node in plan.Nodes)
        {
            var variables = node.Environment().Variables.Where(v => v.Value is not null).ToDictionary(v => v.Key, v => v.Value!);
            problems.AddRange(EnvironmentKeyChecker.Check(variables, OptionKeyCatalog.ForService(node.Project), entrypointReadsFiles: false)
                .Select(p => $"{node.Name}: {p}"));
        }

        Assert.Equal(["AppServer", "LoadBalancer", "WebServer"], plan.Nodes.Select(n => n.Project).Distinct().Order(StringComparer.Ordinal));
        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Fact]
    public async Task PostgresEnvironment_UsesTheOfficialImagesVariables()
    {
        var postgres = (await ComposeFile.LoadAsync()).Services["postgres"];

        Assert.All(postgres.Environment.Keys, key => Assert.Contains(key, PostgresImageVariables));
    }

    [Theory]
    [InlineData("LoadBalancer", "Election__Prority")]
    [InlineData("LoadBalancer", "Election__Peers__first")]
    [InlineData("LoadBalancer", "WebServers__HealthCheck__Intervall")]
    [InlineData("LoadBalancer", "AppServers__Destinations__0")]
    [InlineData("LoadBalancer", "Admin__Url__0")]
    [InlineData("WebServer", "Management__Port")]
    [InlineData("WebServer", "Electon__Key")]
    [InlineData("AppServer", "ConnectionStrings__Fooba")]
    [InlineData("AppServer", "PGPASWORD_FILE")]
    [InlineData("WebServer", "PGPASSWORD")]
    [InlineData("AppServer", "ASPNETCORE_URL")]
    public void Checker_Typo_IsReportedByName(string project, string variable)
    {
        var catalog = OptionKeyCatalog.ForService(project);

        var problems = EnvironmentKeyChecker.Check(new Dictionary<string, string> { [variable] = "/run/secrets/x" }, catalog, entrypointReadsFiles: true);

        Assert.StartsWith(variable, Assert.Single(problems), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("LoadBalancer", "Election__Peers__3")]
    [InlineData("LoadBalancer", "election__priority")]
    [InlineData("LoadBalancer", "WebServers__HealthCheck__Interval")]
    [InlineData("LoadBalancer", "WebServers__Retry__MaxBodyBytes")]
    [InlineData("LoadBalancer", "Limits__MaxRequestBodySize")]
    [InlineData("LoadBalancer", "Routing__Hosts__0")]
    [InlineData("LoadBalancer", "Admin__Token_FILE")]
    [InlineData("WebServer", "AppServers__DnsRefreshPeriod")]
    [InlineData("WebServer", "ForwardedHeaders__KnownNetworks__2")]
    [InlineData("AppServer", "Database__MigrateWaitSeconds")]
    [InlineData("AppServer", "PGPASSWORD_FILE")]
    [InlineData("AppServer", "Node__Name")]
    [InlineData("WebServer", "Metrics__PerRequest")]
    public void Checker_RealKey_Passes(string project, string variable)
    {
        var catalog = OptionKeyCatalog.ForService(project);

        var problems = EnvironmentKeyChecker.Check(new Dictionary<string, string> { [variable] = "/run/secrets/x" }, catalog, entrypointReadsFiles: true);

        Assert.Empty(problems);
    }

    [Fact]
    public void Checker_FileForm_NeedsTheEntrypointAndASecretPath()
    {
        var catalog = OptionKeyCatalog.ForService("LoadBalancer");

        Assert.Single(EnvironmentKeyChecker.Check(new Dictionary<string, string> { ["Election__Key_FILE"] = "/run/secrets/election_key" }, catalog, entrypointReadsFiles: false));
        Assert.Single(EnvironmentKeyChecker.Check(new Dictionary<string, string> { ["Election__Key_FILE"] = "/etc/passwd" }, catalog, entrypointReadsFiles: true));
    }

    [Theory]
    [InlineData("AppServer", "ConnectionStrings Database ForwardedHeaders Management Metrics Node Transport")]
    [InlineData("WebServer", "AppServers ForwardedHeaders Management Metrics Node Transport")]
    [InlineData("LoadBalancer", "Admin Election ForwardedHeaders Limits Management Metrics Monitoring Node Public RateLimit Routing Tls Transport WebServers")]
    public void Catalog_FindsEveryOptionsSectionOfTheService(string project, string sections)
    {
        var catalog = OptionKeyCatalog.ForService(project);

        Assert.Equal(sections.Split(' '), catalog.Sections.Keys.Order(StringComparer.Ordinal));
        Assert.DoesNotContain("Management:Port", catalog.Keys);
    }

    private static bool ReadsFiles(Dockerfile dockerfile) =>
        dockerfile.Final.ExecForm("ENTRYPOINT").Any(a => a.EndsWith("/foobar-entrypoint.sh", StringComparison.Ordinal));
}
