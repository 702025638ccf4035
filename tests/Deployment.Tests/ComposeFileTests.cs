using Foobar.Deployment.Tests.Support;
using Foobar.TestSupport;

namespace Foobar.Deployment.Tests;

/// <summary>docker-compose.yml parses, resolves, and describes the stack of docs/containers.md.</summary>
public sealed class ComposeFileTests
{
    private static readonly string[] LongRunning = ["postgres", "app", "web", "vip", "lb-1", "lb-2"];

    [Fact]
    public async Task Config_Quiet_ParsesAndResolves()
    {
        var result = await ComposeFile.ConfigAsync("-q");

        Assert.True(result.ExitCode == 0, $"docker-compose config -q: {result}");
        Assert.Equal("", result.Output.Trim());
    }

    /// <summary>Each overlay layered over the main file (<c>-f docker-compose.yml -f OVERLAY</c>) resolves.</summary>
    [Theory]
    [InlineData("docker-compose.db-ha.yml")]
    [InlineData("docker-compose.address.yml")]
    public async Task Config_WithOverlay_ParsesAndResolves(string overlay)
    {
        var result = await ComposeFile.ConfigWithAsync([overlay], "-q");

        Assert.True(result.ExitCode == 0, $"docker-compose config -q: {result}");
    }

    [Fact]
    public async Task Services_AreTheDesignedStack()
    {
        var compose = await ComposeFile.LoadAsync();

        Assert.Equal(["app", "lb-1", "lb-2", "migrate", "postgres", "vip", "web"], compose.Services.Values.Where(s => s.Node["profiles"] is null).Select(s => s.Name).Order(StringComparer.Ordinal));
        // Only with `--profile monitoring` (AlertRulesTests checks what it scrapes).
        Assert.Equal(["prometheus"], compose.Services.Values.Where(s => s.Node["profiles"] is not null).Select(s => s.Name));
        Assert.Equal(["data", "edge", "lb", "web"], compose.Networks.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Postgres_PinnedMajorNamedVolumeAndPasswordSecret()
    {
        var postgres = (await ComposeFile.LoadAsync()).Services["postgres"];

        Assert.Matches(@"^postgres:\d+$", postgres.Image);
        var volumes = postgres.Node["volumes"]!.AsArray().Select(v => v!.ToString().Replace(":rw", "", StringComparison.Ordinal)).ToList();
        Assert.Equal("pgdata:/var/lib/postgresql/data", volumes[0]);
        Assert.EndsWith("deploy/postgres-init:/docker-entrypoint-initdb.d:ro", volumes[1], StringComparison.Ordinal);
        // The image's superuser is `postgres` with its own secret; the app's `foobar` role is made by deploy/postgres-init.
        Assert.Equal("/run/secrets/postgres_superuser_password", postgres.Environment["POSTGRES_PASSWORD_FILE"]);
        Assert.DoesNotContain("POSTGRES_PASSWORD", postgres.Environment.Keys);
        Assert.DoesNotContain("POSTGRES_USER", postgres.Environment.Keys);
        Assert.Equal(["postgres_superuser_password", "postgres_password"], postgres.Secrets);
        Assert.NotNull(postgres.Node["healthcheck"]?["test"]);
    }

    [Fact]
    public async Task Migrate_OneShotFromTheAppImage()
    {
        var compose = await ComposeFile.LoadAsync();
        var migrate = compose.Services["migrate"];
        var app = compose.Services["app"];

        Assert.Equal(app.Image, migrate.Image);
        Assert.Equal("Dockerfile.app", migrate.Dockerfile);
        Assert.Equal(["migrate"], migrate.Node["command"]!.AsArray().Select(c => (string)c!));
        Assert.Equal("no", migrate.Restart);
        // `disable: true`, which docker-compose 1.x resolves to the equivalent test: [NONE].
        var healthcheck = migrate.Node["healthcheck"];
        Assert.True(
            healthcheck?["disable"]?.ToString().ToLowerInvariant() == "true" || healthcheck?["test"]?[0]?.ToString() == "NONE",
            $"migrate inherits the app image's HEALTHCHECK unless disabled: {healthcheck}");
        Assert.Equal("service_healthy", migrate.DependsOn["postgres"]);
        Assert.Equal("service_completed_successfully", app.DependsOn["migrate"]);
    }

    [Theory]
    [InlineData("app", "web", "AppServers", "app")]
    [InlineData("web", "lb-1", "WebServers", "web")]
    [InlineData("web", "lb-2", "WebServers", "web")]
    public async Task Tier_TwoReplicas_FoundByTheTierAboveThroughDns(string tier, string client, string section, string host)
    {
        var compose = await ComposeFile.LoadAsync();
        var service = compose.Services[tier];
        var environment = compose.Services[client].Environment;

        Assert.Equal(2, service.Replicas);
        // Fixed names or host ports would stop `--scale` from adding replicas.
        Assert.Null(service.Node["container_name"]);
        Assert.Empty(service.Ports);
        var destination = new Uri(environment[$"{section}__Destinations__0"]);
        Assert.Equal(host, destination.Host);
        Assert.Equal("true", environment[$"{section}__ResolveDns"]);
        Assert.Contains(destination.Port, ListenerPorts(Dockerfile.Load(service.Dockerfile!), service, "ASPNETCORE_URLS"));
    }

    [Fact]
    public async Task LoadBalancers_ShareTheVipNamespace_AndElectOverItsLoopback()
    {
        var compose = await ComposeFile.LoadAsync();
        var lb1 = compose.Services["lb-1"].Environment;
        var lb2 = compose.Services["lb-2"].Environment;

        Assert.All(new[] { "lb-1", "lb-2" }, name => Assert.Equal("service:vip", compose.Services[name].NetworkMode));
        Assert.Equal(("lb-1", "lb-2"), (lb1["Node__Name"], lb2["Node__Name"]));
        Assert.Equal(("200", "100"), (lb1["Election__Priority"], lb2["Election__Priority"]));
        Assert.Equal(("listen", "listen"), (lb1["Election__Mode"], lb2["Election__Mode"]));
        Assert.StartsWith("127.0.0.1:", lb1["Election__Bind"], StringComparison.Ordinal);
        Assert.StartsWith("127.0.0.1:", lb2["Election__Bind"], StringComparison.Ordinal);
        Assert.NotEqual(lb1["Election__Bind"], lb2["Election__Bind"]);
        Assert.Equal(lb2["Election__Bind"], lb1["Election__Peers__0"]);
        Assert.Equal(lb1["Election__Bind"], lb2["Election__Peers__0"]);
        Assert.Equal(lb1["Election__Key_FILE"], lb2["Election__Key_FILE"]);
        Assert.NotEqual(lb1["Admin__Url"], lb2["Admin__Url"]);
    }

    [Fact]
    public async Task Vip_PublishesThePublicPorts_AndEachAdminPortOnLoopbackOnly()
    {
        var compose = await ComposeFile.LoadAsync();
        var vip = compose.Services["vip"];
        var lb = Dockerfile.Load("Dockerfile.lb");
        var ports = vip.Ports.ToDictionary(p => p.Published);

        foreach (var name in new[] { "lb-1", "lb-2" })
        {
            var service = compose.Services[name];
            Assert.Equal(ListenerPorts(lb, service, "Public__HttpUrl").Single(), ports[80].Target);
            Assert.Equal(ListenerPorts(lb, service, "Public__HttpsUrl").Single(), ports[443].Target);
        }

        Assert.Equal(9101, ListenerPorts(lb, compose.Services["lb-1"], "Admin__Url").Single());
        Assert.Equal(9102, ListenerPorts(lb, compose.Services["lb-2"], "Admin__Url").Single());
        Assert.Equal((9101, "127.0.0.1"), (ports[9101].Target, ports[9101].HostIp));
        Assert.Equal((9102, "127.0.0.1"), (ports[9102].Target, ports[9102].HostIp));
        Assert.Equal([80, 443, 9101, 9102], ports.Keys.Order());
        // The only published ports of the whole stack are the vip's (the monitoring profile's Prometheus is on loopback only).
        Assert.All(compose.Services.Values.Where(s => s.Name is not ("vip" or "prometheus")), s => Assert.Empty(s.Ports));
        Assert.Equal("127.0.0.1", Assert.Single(compose.Services["prometheus"].Ports).HostIp);
    }

    [Fact]
    public async Task DependsOn_WaitsForHealthAndCompletion_OfServicesThatHaveHealthchecks()
    {
        var compose = await ComposeFile.LoadAsync();

        Assert.Equal("service_healthy", compose.Services["app"].DependsOn["postgres"]);
        Assert.Equal("service_healthy", compose.Services["web"].DependsOn["app"]);
        Assert.Equal("service_healthy", compose.Services["lb-1"].DependsOn["web"]);
        Assert.Equal("service_healthy", compose.Services["lb-2"].DependsOn["web"]);
        foreach (var (service, dependency, condition) in compose.Services.Values.SelectMany(s => s.DependsOn.Select(d => (s, d.Key, d.Value))))
        {
            var target = compose.Services[dependency];
            if (condition == "service_healthy")
            {
                var hasHealthcheck = target.Node["healthcheck"] is not null
                    || (target.Dockerfile is { } dockerfile && Dockerfile.Load(dockerfile).Final.All("HEALTHCHECK").Any());
                Assert.True(hasHealthcheck, $"{service} waits for {dependency} to be healthy, but {dependency} has no healthcheck");
            }
        }
    }

    [Fact]
    public async Task RestartPolicies_LongRunningServicesRestart_OneShotDoesNot()
    {
        var compose = await ComposeFile.LoadAsync();

        Assert.All(LongRunning, name => Assert.Equal("unless-stopped", compose.Services[name].Restart));
        Assert.Equal("no", compose.Services["migrate"].Restart);
    }

    [Fact]
    public async Task Secrets_DemoDefaults_ExistAndTheAppUserCanReadThem()
    {
        var compose = await ComposeFile.LoadAsync();
        var secrets = compose.Root["secrets"]!.AsObject();

        Assert.Equal(["admin_token", "election_key", "postgres_password", "postgres_superuser_password"], secrets.Select(s => s.Key).Order(StringComparer.Ordinal));
        foreach (var (name, secret) in secrets)
        {
            var file = (string)secret!["file"]!;
            Assert.Equal(Path.Combine(RepoPaths.Root, "deploy", "secrets", name), file);
            var text = File.ReadAllText(file).Trim();
            // Admin:Token and Election:Key both need 16 bytes or more.
            Assert.True(text.Length >= 16, $"{file}: demo secret shorter than 16 characters");
            // Compose bind-mounts file secrets with the host's mode; the services run as uid 1654, not the file's owner.
            Assert.True(OperatingSystem.IsWindows() || File.GetUnixFileMode(file).HasFlag(UnixFileMode.OtherRead), $"{file} must be world-readable for the app user");
        }

        // Every service that uses a secret gets it as a file under /run/secrets.
        foreach (var service in compose.Services.Values)
        {
            foreach (var secret in service.Secrets)
            {
                Assert.Contains(service.Environment, e => e.Key.EndsWith("_FILE", StringComparison.Ordinal) && e.Value == $"/run/secrets/{secret}");
            }
        }
    }

    [Fact]
    public async Task SecretsDirectory_CanBeReplacedWithoutEditingTheFile()
    {
        var elsewhere = Path.Combine(Path.GetTempPath(), $"foobar-secrets-{Guid.NewGuid():N}");
        var result = await CommandLine.RunAsync(
            "docker-compose",
            ["--file", Path.Combine(RepoPaths.Root, "docker-compose.yml"), "--project-directory", RepoPaths.Root, "config"],
            RepoPaths.Root,
            TimeSpan.FromMinutes(1),
            new Dictionary<string, string?> { ["FOOBAR_SECRETS"] = elsewhere });

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"file: {elsewhere}/postgres_password", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("deploy/secrets", result.Output, StringComparison.Ordinal);
    }

    /// <summary>The port of a listener URL variable as the container sees it: compose's value, else the image's ENV.</summary>
    internal static IEnumerable<int> ListenerPorts(Dockerfile dockerfile, ComposeService service, string variable)
    {
        var value = service.Environment.TryGetValue(variable, out var set) ? set : dockerfile.Final.Environment[variable];
        return value.Split(';', StringSplitOptions.RemoveEmptyEntries).Select(u => new Uri(u.Replace("://+", "://0.0.0.0", StringComparison.Ordinal)).Port);
    }
}
