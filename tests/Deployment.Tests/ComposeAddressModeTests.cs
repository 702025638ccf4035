using System.Net;
using System.Text.Json.Nodes;
using Foobar.Deployment.Tests.Support;
using Foobar.TestSupport;

namespace Foobar.Deployment.Tests;

/// <summary>
/// docker-compose.address.yml layered over the main file: lb-1 and lb-2 as separate containers on edge in `address`
/// mode (docs/containers.md, "Address mode: a floating IP"); the listen-mode pair and vip switched off.
/// </summary>
public sealed class ComposeAddressModeTests
{
    private const string Overlay = "docker-compose.address.yml";
    private static readonly string[] LoadBalancers = ["lb-1-address", "lb-2-address"];

    [Fact]
    public async Task ListenModePair_SwitchedOff_VipStartsNoContainer()
    {
        var compose = await ComposeFile.LoadAsync(Overlay);

        Assert.Equal(["listen"], compose.Services["lb-1"].Node["profiles"]!.AsArray().Select(p => (string)p!));
        Assert.Equal(["listen"], compose.Services["lb-2"].Node["profiles"]!.AsArray().Select(p => (string)p!));
        Assert.Equal("0", compose.Services["vip"].Node["scale"]!.ToString());
        Assert.All(LoadBalancers, name => Assert.Null(compose.Services[name].NetworkMode));
    }

    [Fact]
    public async Task Addresses_FixedInsideEdgesSubnet_VirtualIpApart_PublicListenersOnIt()
    {
        var compose = await ComposeFile.LoadAsync(Overlay);
        var subnet = IPNetwork.Parse((string)compose.Root["networks"]!["edge"]!["ipam"]!["config"]![0]!["subnet"]!);
        var virtualAddress = compose.Services[LoadBalancers[0]].Environment["Election__VirtualAddress"];
        var virtualIp = IPAddress.Parse(virtualAddress.Split('/')[0]);
        var own = LoadBalancers.Select(name => EdgeAddress(compose.Services[name])).ToList();

        Assert.Equal($"/{subnet.PrefixLength}", virtualAddress[virtualAddress.IndexOf('/', StringComparison.Ordinal)..]);
        Assert.All(own.Append(virtualIp), address => Assert.True(subnet.Contains(address), $"{address} outside edge {subnet}"));
        // Apart from each other, from the bridge's gateway (.1, the host) and from vip's address in the main file (.2).
        Assert.Equal(5, own.Select(a => a.ToString()).Append(virtualIp.ToString()).Append(Host(subnet, 1)).Append(Host(subnet, 2)).Distinct().Count());
        foreach (var name in LoadBalancers)
        {
            var service = compose.Services[name];
            Assert.Equal(virtualAddress, service.Environment["Election__VirtualAddress"]);
            Assert.Equal($"http://{virtualIp}:8080", service.Environment["Public__HttpUrl"]);
            Assert.Equal($"https://{virtualIp}:8443", service.Environment["Public__HttpsUrl"]);
            Assert.Equal(virtualIp.ToString(), service.Environment["Routing__Hosts__0"]);
            // eth0 is the network joined first: Compose v1 joins in descending priority.
            Assert.Equal("eth0", service.Environment["Election__Interface"]);
            var networks = service.Node["networks"]!.AsObject();
            Assert.Equal(["edge", "lb", "witness"], networks.Select(n => n.Key).Order(StringComparer.Ordinal));
            Assert.True(Priority(networks["edge"]) > Priority(networks["lb"]), $"{name}: edge must be joined first");
        }
    }

    [Fact]
    public async Task Election_AddressMode_PeersPointAtEachOther()
    {
        var compose = await ComposeFile.LoadAsync(Overlay);
        var (one, two) = (compose.Services[LoadBalancers[0]], compose.Services[LoadBalancers[1]]);

        Assert.Equal(("lb-1", "lb-2"), (one.Environment["Node__Name"], two.Environment["Node__Name"]));
        Assert.All(new[] { one, two }, s => Assert.Equal(("true", "address"), (s.Environment["Election__Enabled"], s.Environment["Election__Mode"])));
        Assert.Equal(one.Environment["Election__Bind"], two.Environment["Election__Peers__0"]);
        Assert.Equal(two.Environment["Election__Bind"], one.Environment["Election__Peers__0"]);
        Assert.All(new[] { one, two }, s => Assert.Equal(EdgeAddress(s).ToString(), s.Environment["Election__Bind"].Split(':')[0]));
        Assert.NotEqual(one.Environment["Election__Priority"], two.Environment["Election__Priority"]);
    }

    [Fact]
    public async Task Witness_StacksPostgres_ThroughARoleOfItsOwnOnANetworkOfItsOwn()
    {
        var compose = await ComposeFile.LoadAsync(Overlay);
        var role = compose.Services["witness-role"];
        var script = await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "deploy", "postgres-witness", "witness-role.sh"));

        foreach (var service in LoadBalancers.Select(name => compose.Services[name]))
        {
            // The role and database the script makes by default, on the postgres service; the password from a secret only.
            var witness = new Npgsql.NpgsqlConnectionStringBuilder(service.Environment["Election__Witness__ConnectionString"]);
            Assert.Equal(("postgres", "foobar_witness", "foobar_witness", null), (witness.Host, witness.Database, witness.Username, witness.Password));
            Assert.Contains("witness_role=\"${FOOBAR_WITNESS_ROLE:-foobar_witness}\"", script, StringComparison.Ordinal);
            Assert.Contains("witness_db=\"${FOOBAR_WITNESS_DATABASE:-foobar_witness}\"", script, StringComparison.Ordinal);
            Assert.Equal("/run/secrets/postgres_witness_password", service.Environment["PGPASSWORD_FILE"]);
            Assert.Contains("postgres_witness_password", service.Secrets);
            Assert.Equal("service_completed_successfully", service.DependsOn["witness-role"]);
            Assert.DoesNotContain("data", service.Networks);
        }

        // witness: the load balancers, PostgreSQL and the one-shot that makes the role; nothing from the app tier.
        Assert.Equal(["lb-1-address", "lb-2-address", "postgres", "witness-role"], compose.Services.Values.Where(s => s.Networks.Contains("witness")).Select(s => s.Name).Order(StringComparer.Ordinal));
        Assert.Equal(true, (bool?)compose.Root["networks"]!["witness"]!["internal"]);
        Assert.Equal(["data", "witness"], compose.Services["postgres"].Networks.Order(StringComparer.Ordinal));
        Assert.Equal(("postgres", "/run/secrets/postgres_superuser_password", "/run/secrets/postgres_witness_password"),
            (role.Environment["PGHOST"], role.Environment["PGPASSWORD_FILE"], role.Environment["FOOBAR_WITNESS_PASSWORD_FILE"]));
        Assert.Equal(["postgres_superuser_password", "postgres_witness_password"], role.Secrets.Order(StringComparer.Ordinal));
        Assert.Equal("service_healthy", role.DependsOn["postgres"]);
        Assert.Equal("no", role.Restart);
    }

    [Fact]
    public async Task Capabilities_OnlyNetAdminAndNetRaw_KeptByTheAppUser()
    {
        var compose = await ComposeFile.LoadAsync(Overlay);
        var image = Dockerfile.Load("Dockerfile.lb").Final.ExecForm("ENTRYPOINT").ToList();

        foreach (var service in LoadBalancers.Select(name => compose.Services[name]))
        {
            Assert.Equal(["ALL"], Strings(service.Node["cap_drop"]));
            // SETUID and SETGID only for setpriv's switch to uid 1654; the process keeps neither.
            Assert.Equal(["NET_ADMIN", "NET_RAW", "SETGID", "SETUID"], Strings(service.Node["cap_add"]).Order(StringComparer.Ordinal));
            Assert.Equal("0", (string?)service.Node["user"]);
            var entrypoint = Strings(service.Node["entrypoint"]);
            Assert.Equal("setpriv", entrypoint[0]);
            Assert.Contains("--reuid=1654", entrypoint);
            Assert.Contains("--regid=1654", entrypoint);
            Assert.Contains("--ambient-caps=-all,+net_admin,+net_raw", entrypoint);
            Assert.Contains("--inh-caps=-all,+net_admin,+net_raw", entrypoint);
            Assert.Equal(image, entrypoint.Skip(entrypoint.Count - image.Count));
        }
    }

    [Fact]
    public async Task AdminListeners_OnOwnEdgeAddress_PublishedOnLoopbackOnly()
    {
        var compose = await ComposeFile.LoadAsync(Overlay);

        foreach (var service in LoadBalancers.Select(name => compose.Services[name]))
        {
            var admin = new Uri(service.Environment["Admin__Url"]);
            Assert.Equal(EdgeAddress(service).ToString(), admin.Host);
            var port = Assert.Single(service.Ports);
            Assert.Equal(("127.0.0.1", admin.Port), (port.HostIp, port.Target));
        }
    }

    [Fact]
    public async Task Environment_EveryVariable_BindsToAnOptionKey()
    {
        var compose = await ComposeFile.LoadAsync(Overlay);
        var catalog = OptionKeyCatalog.ForService("LoadBalancer");

        var problems = LoadBalancers.SelectMany(name => EnvironmentKeyChecker.Check(compose.Services[name].Environment, catalog, entrypointReadsFiles: true)
            .Select(p => $"{name}: {p}")).ToList();

        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Fact]
    public async Task MonitoringProfile_ScrapesEachLoadBalancersOwnAdminListener_RestAsInTheMainConfig()
    {
        var main = await ComposeFile.LoadAsync();
        var compose = await ComposeFile.LoadAsync(Overlay);
        var prometheus = compose.Services["prometheus"];
        var directory = Path.Combine(RepoPaths.Root, "deploy", "prometheus");
        var check = await CommandLine.RunAsync("promtool", ["check", "config", "prometheus.address.yml"], directory, TimeSpan.FromMinutes(1));
        var config = await ResolvedYaml.ToJsonAsync(await File.ReadAllTextAsync(Path.Combine(directory, "prometheus.address.yml")));
        var mainConfig = await ResolvedYaml.ToJsonAsync(await File.ReadAllTextAsync(Path.Combine(directory, "prometheus.yml")));

        // The same flags as the main file's, with the overlay's configuration file (compose mounts deploy/prometheus).
        var command = Strings(prometheus.Node["command"]);
        Assert.Equal("--config.file=/etc/foobar/prometheus.address.yml", command[0]);
        Assert.Equal(Strings(main.Services["prometheus"].Node["command"])[1..], command[1..]);
        Assert.True(check.ExitCode == 0, $"promtool check config: {check}");

        // Every load balancer container, at its admin port, by a name Docker's DNS resolves on a network both share, to
        // the address its admin listener binds; labelled with its node name.
        var lb = config["scrape_configs"]!.AsArray().Single(j => (string)j!["job_name"]! == "lb")!;
        var targets = lb["static_configs"]!.AsArray()
            .Select(c => ((string)c!["targets"]![0]!, (string)c["labels"]!["node"]!)).Order().ToList();
        var expected = LoadBalancers.Select(name =>
        {
            var service = compose.Services[name];
            var admin = new Uri(service.Environment["Admin__Url"]);
            Assert.Equal(EdgeAddress(service).ToString(), admin.Host);
            Assert.Contains("edge", prometheus.Networks);
            return ($"{name}:{admin.Port}", service.Environment["Node__Name"]);
        }).Order().ToList();
        Assert.Equal(expected, targets);
        Assert.Equal(["lb-1", "lb-2"], targets.Select(t => t.Item2));

        // Everything else (web and app jobs, rule files, intervals) as in the main configuration.
        Assert.Equal(mainConfig["global"]!.ToJsonString(), config["global"]!.ToJsonString());
        Assert.Equal(mainConfig["rule_files"]!.ToJsonString(), config["rule_files"]!.ToJsonString());
        Assert.Equal(
            mainConfig["scrape_configs"]!.AsArray().Where(j => (string)j!["job_name"]! != "lb").Select(j => j!.ToJsonString()),
            config["scrape_configs"]!.AsArray().Where(j => (string)j!["job_name"]! != "lb").Select(j => j!.ToJsonString()));
    }

    private static IPAddress EdgeAddress(ComposeService service) => IPAddress.Parse((string)service.Node["networks"]!["edge"]!["ipv4_address"]!);

    private static int Priority(JsonNode? network) => network?["priority"] is { } priority ? (int)priority : 0;

    private static List<string> Strings(JsonNode? node) => [.. node!.AsArray().Select(s => (string)s!)];

    private static string Host(IPNetwork subnet, byte last)
    {
        var bytes = subnet.BaseAddress.GetAddressBytes();
        bytes[3] = last;
        return new IPAddress(bytes).ToString();
    }
}
