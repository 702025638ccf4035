using System.Text.Json.Nodes;
using Foobar.Deployment.Tests.Support;

namespace Foobar.Deployment.Tests.Swarm;

/// <summary>
/// deploy/swarm/stack.yml stays docker-compose.yml's stack: the same images, settings, secrets, networks and sizes,
/// except for the differences its header explains (checked here one by one), plus the swarm's own rules.
/// </summary>
public sealed class StackFileTests
{
    /// <summary>Compose service to the stack service that runs it; compose's vip has no counterpart (each node publishes its own lb).</summary>
    private static readonly Dictionary<string, string> ServiceMap = new()
    {
        ["postgres"] = "postgres",
        ["migrate"] = "migrate",
        ["app"] = "app",
        ["web"] = "web",
        ["lb-1"] = "lb",
        ["lb-2"] = "lb",
    };

    [Fact]
    public async Task Services_AreComposesServices_WithTheLoadBalancerPairAsOneReplicatedService()
    {
        var (compose, stack) = await LoadBothAsync();

        // Services behind a compose profile (monitoring's prometheus) are opt-in extras, not part of the stack.
        var defaultServices = compose.Services.Where(s => s.Value.Node["profiles"] is null).Select(s => s.Key);
        Assert.Equal(["app", "lb-1", "lb-2", "migrate", "postgres", "vip", "web"], defaultServices.Order(StringComparer.Ordinal));
        Assert.Equal(ServiceMap.Values.Distinct().Order(StringComparer.Ordinal), stack.Services.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(defaultServices.Count(k => k.StartsWith("lb-", StringComparison.Ordinal)), stack.Services["lb"].Replicas);
    }

    /// <summary>Every compose service the stack runs.</summary>
    public static TheoryData<string> ComposeServices => [.. ServiceMap.Keys];

    /// <summary>The same, with one load balancer standing for both: the stack's one lb service has one environment.</summary>
    public static TheoryData<string> ComposeServicesOneLoadBalancer => [.. ServiceMap.Keys.Where(k => k != "lb-2")];

    [Theory]
    [MemberData(nameof(ComposeServices))]
    public async Task Service_HasComposesImageSecretsAndNetworks(string composeName)
    {
        var (compose, stack) = await LoadBothAsync();
        var original = compose.Services[composeName];
        var derived = stack.Services[ServiceMap[composeName]];
        var isLb = derived.Name == "lb";

        Assert.Equal(original.Image, derived.Image);
        // The load balancers' election key goes with the election (off: each node publishes its own lb).
        Assert.Equal(original.Secrets.Where(s => !isLb || s != "election_key").Order(StringComparer.Ordinal), derived.Secrets.Order(StringComparer.Ordinal));
        // compose's load balancers live in vip's namespace, on vip's networks.
        var networks = original.NetworkMode is { } mode ? compose.Services[mode["service:".Length..]].Networks : original.Networks;
        Assert.Equal(networks.Order(StringComparer.Ordinal), derived.Networks.Order(StringComparer.Ordinal));
        Assert.Equal((string?)original.Node["stop_grace_period"], (string?)derived.Node["stop_grace_period"]);
        if (original.Node["deploy"]?["replicas"] is not null)
        {
            Assert.Equal(original.Replicas, derived.Replicas);
        }
    }

    [Theory]
    [MemberData(nameof(ComposeServicesOneLoadBalancer))]
    public async Task Service_HasComposesEnvironment_ExceptTheDocumentedDifferences(string composeName)
    {
        var (compose, stack) = await LoadBothAsync();
        var expected = compose.Services[composeName].Environment.ToDictionary();
        var actual = stack.Services[ServiceMap[composeName]].Environment;

        if (composeName is "app" or "web")
        {
            // Readable node names from the task's slot (compose derives them from the container's name instead).
            expected.Remove("FOOBAR_REPLICA_OF");
            expected["Node__Name"] = $"{composeName}-{{{{.Task.Slot}}}}";
        }
        else if (composeName == "lb-1")
        {
            foreach (var key in expected.Keys.Where(k => k.StartsWith("Election__", StringComparison.Ordinal) || k == "Admin__Url"))
            {
                expected.Remove(key); // the election and per-node admin ports of two load balancers in one namespace
            }

            expected["Election__Enabled"] = "false";
            expected["Node__Name"] = "lb-{{.Task.Slot}}";
        }

        Assert.Equal(expected.OrderBy(e => e.Key, StringComparer.Ordinal), actual.OrderBy(e => e.Key, StringComparer.Ordinal));
    }

    [Fact]
    public async Task Postgres_HasComposesHealthcheck_AndStaysWithItsVolume()
    {
        var (compose, stack) = await LoadBothAsync();
        var postgres = stack.Services["postgres"].Node;

        Assert.True(JsonNode.DeepEquals(compose.Services["postgres"].Node["healthcheck"], postgres["healthcheck"]));
        Assert.Equal("node.labels.foobar.postgres == true", (string?)postgres["deploy"]!["placement"]!["constraints"]![0]);
        Assert.Equal("stop-first", (string?)postgres["deploy"]!["update_config"]!["order"]);
    }

    [Theory]
    [InlineData("app", "start-first")]
    [InlineData("web", "start-first")]
    [InlineData("lb", "stop-first")]
    public async Task LongRunningService_IsUpdatedByHealth_AndRolledBackOnFailure(string name, string order)
    {
        var (_, stack) = await LoadBothAsync();
        var service = stack.Services[name].Node;
        var deploy = service["deploy"]!;

        // The images' HEALTHCHECK decides when a new task counts as started; nothing here may switch it off (see
        // Healthcheck_IsTheImagesCommand_WithABarForReplacementAtLeastAsHigh).
        Assert.NotEqual(true, (bool?)service["healthcheck"]?["disable"]);
        Assert.Equal("1", deploy["update_config"]!["parallelism"]!.ToString());
        Assert.Equal(order, (string?)deploy["update_config"]!["order"]);
        Assert.Equal("rollback", (string?)deploy["update_config"]!["failure_action"]);
        Assert.Equal(order, (string?)deploy["rollback_config"]!["order"]);
        Assert.Equal("any", (string?)deploy["restart_policy"]!["condition"]);
    }

    [Theory]
    [InlineData("app", "Dockerfile.app")]
    [InlineData("web", "Dockerfile.web")]
    [InlineData("lb", "Dockerfile.lb")]
    public async Task Healthcheck_IsTheImagesCommand_WithABarForReplacementAtLeastAsHigh(string name, string dockerfile)
    {
        var (_, stack) = await LoadBothAsync();
        var image = Dockerfile.Load(dockerfile);
        var healthcheck = stack.Services[name].Node["healthcheck"]!;
        string[] command = [.. image.Final.ExecForm("HEALTHCHECK")];
        if (name == "app")
        {
            // A swarm replaces unhealthy tasks: probing readiness (false while PostgreSQL is away) would restart every
            // app server during a database outage. The same command and port, on /health/live (ProbeTests: 200 then).
            command = [.. command, $"http://127.0.0.1:{new Uri(image.Final.Environment["ASPNETCORE_URLS"]).Port}/health/live"];
        }

        Assert.Equal(["CMD", .. command], healthcheck["test"]!.AsArray().Select(t => (string)t!));
        var options = image.Final.All("HEALTHCHECK").Last().Arguments.Split(' ').Where(a => a.StartsWith("--", StringComparison.Ordinal))
            .Select(a => a[2..].Split('=', 2)).ToDictionary(a => a[0], a => a[1]);
        Assert.Equal(Seconds(options["interval"]), Seconds((string)healthcheck["interval"]!));
        Assert.True(Seconds((string)healthcheck["timeout"]!) >= Seconds(options["timeout"]));
        Assert.True(Seconds((string)healthcheck["start_period"]!) >= Seconds(options["start-period"]));
        Assert.True((int)healthcheck["retries"]! >= int.Parse(options["retries"], System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("postgres")]
    [InlineData("app")]
    [InlineData("web")]
    [InlineData("lb")]
    public async Task Service_IsFoundByDnsRoundRobin_NotThroughAVirtualIp(string name)
    {
        var (_, stack) = await LoadBothAsync();

        Assert.Equal("dnsrr", (string?)stack.Services[name].Node["deploy"]!["endpoint_mode"]);
    }

    [Fact]
    public async Task LoadBalancers_NeverShareANode_AndPublishComposesPorts()
    {
        var (compose, stack) = await LoadBothAsync();
        var lb = stack.Services["lb"];

        Assert.Equal(1, (int)lb.Node["deploy"]!["placement"]!["max_replicas_per_node"]!);
        var published = compose.Services["vip"].Ports.Where(p => p.HostIp is null).Select(p => (p.Published, p.Target));
        Assert.Equal(published, lb.Ports.Select(p => (p.Published, p.Target)));
        // Host mode: no routing mesh, which needs IPVS in the kernel (absent on this repository's test machines).
        Assert.All(lb.Node["ports"]!.AsArray(), p => Assert.Equal("host", (string?)p!["mode"]));
    }

    [Fact]
    public async Task SingleNodeOverride_OnlyRunsOneLoadBalancer()
    {
        var main = await StackFile.LoadAsync();
        var single = await StackFile.LoadAsync(StackFile.MainFile, StackFile.SingleNodeFile);

        Assert.Equal(1, single.Services["lb"].Replicas);
        single.Services["lb"].Node["deploy"]!["replicas"] = 2;
        Assert.True(JsonNode.DeepEquals(main.Root["services"], single.Root["services"]));
    }

    [Fact]
    public async Task Secrets_AreComposesFiles()
    {
        var (compose, stack) = await LoadBothAsync();

        Assert.All(stack.Root["secrets"]!.AsObject(), secret =>
            Assert.Equal((string?)compose.Root["secrets"]![secret.Key]!["file"], (string?)secret.Value!["file"]));
    }

    [Fact]
    public async Task Environment_EveryVariable_BindsToAnOptionKey()
    {
        var (compose, stack) = await LoadBothAsync();
        var problems = new List<string>();
        foreach (var service in stack.Services.Values.Where(s => s.Image!.StartsWith("foobar/", StringComparison.Ordinal)))
        {
            var dockerfile = Dockerfile.Load(compose.Services.Values.First(c => c.Image == service.Image).Dockerfile!);
            var catalog = OptionKeyCatalog.ForService(dockerfile.Project);
            problems.AddRange(EnvironmentKeyChecker.Check(service.Environment, catalog, entrypointReadsFiles: true).Select(p => $"{service.Name}: {p}"));
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    /// <summary>A Go duration as docker prints it (<c>5s</c>, <c>1m0s</c>, <c>500ms</c>) in seconds.</summary>
    private static double Seconds(string duration) =>
        System.Text.RegularExpressions.Regex.Matches(duration, "([0-9.]+)(ms|h|m|s)").Sum(m =>
            double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)
            * m.Groups[2].Value switch { "ms" => 0.001, "h" => 3600, "m" => 60, _ => 1 });

    // Read once for the class: each load runs docker-compose, the Docker CLI and PyYAML. Tests that edit a file's
    // nodes load their own copy.
    private static readonly Lazy<Task<(ComposeFile, StackFile)>> Both = new(async () => (await ComposeFile.LoadAsync(), await StackFile.LoadAsync()));

    private static Task<(ComposeFile Compose, StackFile Stack)> LoadBothAsync() => Both.Value;
}
