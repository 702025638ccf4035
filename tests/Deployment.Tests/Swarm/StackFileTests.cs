using System.Text.Json.Nodes;
using Foobar.Deployment.Tests.Support;

namespace Foobar.Deployment.Tests.Swarm;

/// <summary>
/// deploy/swarm/stack.yml stays docker-compose.yml's stack with docker-compose.address.yml's load balancer pair: the
/// same images, settings, secrets, networks and sizes, except for the differences its header explains (checked here
/// one by one), plus the swarm's own rules.
/// </summary>
public sealed class StackFileTests
{
    /// <summary>Compose service to the stack service that runs it. The load balancers are docker-compose.address.yml's pair.</summary>
    private static readonly Dictionary<string, string> ServiceMap = new()
    {
        ["postgres"] = "postgres",
        ["migrate"] = "migrate",
        ["app"] = "app",
        ["web"] = "web",
        ["lb-1-address"] = "lb-1",
        ["lb-2-address"] = "lb-2",
        ["witness-role"] = "witness-role",
    };

    /// <summary>Every compose service the stack runs.</summary>
    public static TheoryData<string> ComposeServices => [.. ServiceMap.Keys];

    [Fact]
    public async Task Services_AreComposesServices_WithTheAddressModeLoadBalancerPair()
    {
        var (compose, stack) = await LoadBothAsync();

        // Services behind a compose profile (monitoring's prometheus, the listen-mode pair under the address overlay)
        // are not part of the stack, nor is vip (scale 0 there: the virtual IP needs no container).
        var defaultServices = compose.Services.Where(s => s.Value.Node["profiles"] is null && s.Key != "vip").Select(s => s.Key);
        Assert.Equal(["app", "lb-1-address", "lb-2-address", "migrate", "postgres", "web", "witness-role"], defaultServices.Order(StringComparer.Ordinal));
        Assert.Equal(ServiceMap.Values.Order(StringComparer.Ordinal), stack.Services.Keys.Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(ComposeServices))]
    public async Task Service_HasComposesImageSecretsAndNetworks(string composeName)
    {
        var (compose, stack) = await LoadBothAsync();
        var original = compose.Services[composeName];
        var derived = stack.Services[ServiceMap[composeName]];

        Assert.Equal(original.Image, derived.Image);
        Assert.Equal(original.Secrets.Order(StringComparer.Ordinal), derived.Secrets.Order(StringComparer.Ordinal));
        Assert.Equal(original.Networks.Select(StackNetwork).Order(StringComparer.Ordinal), derived.Networks.Order(StringComparer.Ordinal));
        Assert.Equal((string?)original.Node["stop_grace_period"], (string?)derived.Node["stop_grace_period"]);
        if (original.Node["deploy"]?["replicas"] is not null)
        {
            Assert.Equal(original.Replicas, derived.Replicas);
        }
    }

    [Theory]
    [MemberData(nameof(ComposeServices))]
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
        else if (composeName.StartsWith("lb-", StringComparison.Ordinal))
        {
            // The same address-mode settings, with what compose fixes by address given otherwise: the virtual IP from
            // FOOBAR_VIP on the default ports (each task has its own network namespace, where 80 and 443 are free),
            // the election bound to every address of the task and its peer found by name (the swarm assigns
            // addresses), the admin listener on loopback, and the interface found at start (LanInterface_...).
            var composeVip = expected["Election__VirtualAddress"].Split('/')[0];
            expected["Public__HttpUrl"] = $"http://{StackFile.VirtualIp}:80";
            expected["Public__HttpsUrl"] = $"https://{StackFile.VirtualIp}:443";
            expected["Public__HttpsRedirectPort"] = "443";
            expected["Routing__Hosts__0"] = expected["Routing__Hosts__0"].Replace(composeVip, StackFile.VirtualIp, StringComparison.Ordinal);
            expected["Election__VirtualAddress"] = $"{StackFile.VirtualIp}/24";
            expected["Election__Bind"] = "0.0.0.0:9201";
            expected["Election__Peers__0"] = composeName == "lb-1-address" ? "lb-2:9201" : "lb-1:9201";
            expected["Admin__Url"] = "http://127.0.0.1:9101";
            expected.Remove("Election__Interface");
            // keepalived's 1 s instead of the product's 200 ms: nodes shared with other tasks stall (see the file).
            expected["Election__AdvertisementInterval"] = "00:00:01";
            // Its lease, 5 of those intervals (compose's 2 s is sized for 200 ms ones).
            expected["Election__Witness__LeaseDuration"] = "00:00:05";
        }

        Assert.Equal(expected.OrderBy(e => e.Key, StringComparer.Ordinal), actual.OrderBy(e => e.Key, StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("lb-1-address")]
    [InlineData("lb-2-address")]
    public async Task LoadBalancer_RunsAsComposesAddressPair_UnprivilegedWithNetAdminAndNetRaw(string composeName)
    {
        var (compose, stack) = await LoadBothAsync();
        var original = compose.Services[composeName].Node;
        var derived = stack.Services[ServiceMap[composeName]].Node;

        Assert.Equal((string?)original["user"], (string?)derived["user"]);
        foreach (var key in new[] { "cap_add", "cap_drop" })
        {
            // As sets: docker-compose config sorts them, docker stack config does not.
            Assert.Equal(original[key]!.AsArray().Select(c => (string)c!).Order(StringComparer.Ordinal), derived[key]!.AsArray().Select(c => (string)c!).Order(StringComparer.Ordinal));
        }

        // The same setpriv command line, exec'd by a shell that first exports the lan interface.
        string[] entrypoint = [.. derived["entrypoint"]!.AsArray().Select(e => (string)e!)];
        Assert.Equal(["/bin/sh", "-c"], entrypoint[..2]);
        Assert.EndsWith("exec " + string.Join(' ', original["entrypoint"]!.AsArray().Select(e => (string)e!)), entrypoint[2], StringComparison.Ordinal);
    }

    [Fact]
    public async Task LanInterface_IsTheOneWithTheDefaultRoute_TheLoadBalancersOtherNetworkBeingInternal()
    {
        var (_, stack) = await LoadBothAsync();
        var script = (string)stack.Services["lb-1"].Node["entrypoint"]![2]!;

        Assert.StartsWith("Election__Interface=$(awk '$2 == \"00000000\" { print $1; exit }' /proc/net/route) && export Election__Interface && exec ", script, StringComparison.Ordinal);
        Assert.Equal(["lan", "lb", "witness"], stack.Services["lb-1"].Networks.Order(StringComparer.Ordinal));
        Assert.Equal(true, (bool?)stack.Root["networks"]!["lb"]!["internal"]);
        Assert.Equal(true, (bool?)stack.Root["networks"]!["witness"]!["internal"]);
        Assert.Equal(true, (bool?)stack.Root["networks"]!["lan"]!["external"]);
        Assert.Equal("foobar-lan", (string?)stack.Root["networks"]!["lan"]!["name"]);
    }

    /// <summary>compose's edge (the clients' side, where the virtual IP lives) is the stack's lan network.</summary>
    private static string StackNetwork(string composeNetwork) => composeNetwork == "edge" ? "lan" : composeNetwork;

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
    [InlineData("lb-1", "stop-first")]
    [InlineData("lb-2", "stop-first")]
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
    [InlineData("lb-1", "Dockerfile.lb")]
    [InlineData("lb-2", "Dockerfile.lb")]
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
    [InlineData("lb-1")]
    [InlineData("lb-2")]
    public async Task Service_IsFoundByDnsRoundRobin_NotThroughAVirtualIp(string name)
    {
        var (_, stack) = await LoadBothAsync();

        Assert.Equal("dnsrr", (string?)stack.Services[name].Node["deploy"]!["endpoint_mode"]);
    }

    [Fact]
    public async Task LoadBalancers_PinnedToTwoLabelledNodes_OneTaskEach_NothingPublished()
    {
        var (_, stack) = await LoadBothAsync();

        var constraints = new List<string>();
        foreach (var name in new[] { "lb-1", "lb-2" })
        {
            var service = stack.Services[name];
            Assert.Equal(1, service.Replicas);
            var placement = service.Node["deploy"]!["placement"]!;
            Assert.Equal(1, (int)placement["max_replicas_per_node"]!);
            constraints.Add((string)Assert.Single(placement["constraints"]!.AsArray())!);
            // Clients reach the virtual IP on lan itself; a published port would lead to one task, not to the Master.
            Assert.Null(service.Node["ports"]);
        }

        Assert.Equal(["node.labels.foobar.lb-1 == true", "node.labels.foobar.lb-2 == true"], constraints);
        Assert.Equal(["200", "100"], new[] { "lb-1", "lb-2" }.Select(n => stack.Services[n].Environment["Election__Priority"]));
    }

    [Theory]
    [InlineData("lb-1")]
    [InlineData("lb-2")]
    public async Task AdminListener_OnTheTasksLoopbackOnly_AndTheHealthcheckFindsItThere(string name)
    {
        var (_, stack) = await LoadBothAsync();
        var service = stack.Services[name];
        var admin = new Uri(service.Environment["Admin__Url"]);

        // Before: every address of the task (a web task on lb could reach it). Now nothing outside the task can.
        Assert.True(System.Net.IPAddress.IsLoopback(System.Net.IPAddress.Parse(admin.Host)), $"Admin__Url {admin}");
        // The image's healthcheck takes its URL from Admin__Url (LoadBalancerHealthcheck), so it follows.
        Assert.Equal(["CMD", "dotnet", "LoadBalancer.dll", "healthcheck"], service.Node["healthcheck"]!["test"]!.AsArray().Select(t => (string)t!));
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
    private static readonly Lazy<Task<(ComposeFile, StackFile)>> Both = new(async () => (await ComposeFile.LoadAsync("docker-compose.address.yml"), await StackFile.LoadAsync()));

    private static Task<(ComposeFile Compose, StackFile Stack)> LoadBothAsync() => Both.Value;
}
