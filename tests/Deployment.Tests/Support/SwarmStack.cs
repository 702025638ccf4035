using Foobar.TestSupport;

namespace Foobar.Deployment.Tests.Support;

/// <summary>
/// deploy/swarm/stack.yml deployed for real on a single-node swarm of the test's engine: the swarm is initialised
/// here when the engine is not in one yet (and left again afterwards), the node is given the database's label and
/// both load balancers' labels (on real nodes those are two different nodes), and the project's images are built
/// first (cached layers make that quick when they exist). The stack's external lan network is made here as an
/// operator makes it on real nodes (a swarm-scoped macvlan network), on a bridge of its own with a private /24 instead
/// of a LAN interface; the host joins that segment through a macvlan interface of its own (a macvlan parent cannot
/// talk to its children) with the network's gateway address, so the test's client is a neighbour of the load
/// balancers, as a LAN's clients are. Every name carries a random stack name, and disposing removes the stack, its
/// volumes, the networks and interfaces, and whatever this class added to the engine.
/// </summary>
internal sealed class SwarmStack : IAsyncDisposable
{
    private const string PostgresLabel = "foobar.postgres";
    private static readonly string[] LoadBalancerLabels = ["foobar.lb-1", "foobar.lb-2"];
    private readonly List<string> _addedLabels = [];
    private bool _initialisedSwarm;
    private bool _lanCreated;
    private string? _node;
    private bool _deployed;

    public SwarmStack()
    {
        Name = $"foobar{Guid.NewGuid():N}"[..14];
        var random = Name[6..12];
        Bridge = $"fbl{random}";
        Subnet = FreeSubnet();
    }

    /// <summary>The stack's name: the prefix of every service, network, volume and secret it creates.</summary>
    public string Name { get; }

    /// <summary>The lan network's first three octets (a /24 that no route of this host uses yet).</summary>
    public string Subnet { get; }

    /// <summary>The virtual IP the elected load balancer holds: FOOBAR_VIP.</summary>
    public string VirtualIp => $"{Subnet}.100";

    /// <summary>The bridge standing for the LAN (no address: the macvlan network's parent).</summary>
    public string Bridge { get; }

    /// <summary>The host's own macvlan interface on that bridge, with the network's gateway address.</summary>
    public string HostInterface => $"{Bridge}h";

    /// <summary>The stack's lan network (FOOBAR_LAN_NETWORK).</summary>
    public string LanNetwork => $"{Name}-lan";

    private string LanConfig => $"{Name}-lancfg";

    /// <summary>The site through the virtual IP, on the stack's default ports (80, 443): the address is the test's own.</summary>
    public Uri Endpoint => new($"http://{VirtualIp}");

    public string Service(string name) => $"{Name}_{name}";

    public async Task DeployAsync(Action<string> log)
    {
        var version = await DockerCli.RunAsync(["version", "--format", "{{.Server.Version}}"], TimeSpan.FromSeconds(20));
        if (version.ExitCode != 0)
        {
            throw new InvalidOperationException($"no Docker engine answers at {DockerCli.Host} (set DOCKER_HOST, or run .ci/run, which starts one): {version}");
        }

        await BuildImagesAsync(log);

        var state = (await DockerCli.CheckedAsync(["info", "--format", "{{.Swarm.LocalNodeState}}"])).Trim();
        if (state != "active")
        {
            await DockerCli.CheckedAsync(["swarm", "init", "--advertise-addr", "127.0.0.1"]);
            _initialisedSwarm = true;
            log("swarm initialised (single node, advertising 127.0.0.1)");
        }

        _node = (await DockerCli.CheckedAsync(["info", "--format", "{{.Swarm.NodeID}}"])).Trim();
        var labels = await DockerCli.CheckedAsync(["node", "inspect", _node, "--format", "{{json .Spec.Labels}}"]);
        foreach (var label in LoadBalancerLabels.Prepend(PostgresLabel).Where(l => !labels.Contains($"\"{l}\"", StringComparison.Ordinal)))
        {
            await DockerCli.CheckedAsync(["node", "update", "--label-add", $"{label}=true", _node]);
            _addedLabels.Add(label);
        }

        await CreateLanAsync();
        log($"lan network {LanNetwork}: macvlan on bridge {Bridge}, {Subnet}.0/24, this host {Subnet}.1 on {HostInterface}, virtual IP {VirtualIp}");

        _deployed = true;
        await DockerCli.CheckedAsync(
            ["stack", "deploy", "--detach=true", "--resolve-image", "never", "--compose-file", StackFile.MainFile, Name],
            TimeSpan.FromMinutes(2),
            new Dictionary<string, string?>
            {
                ["FOOBAR_VIP"] = VirtualIp,
                ["FOOBAR_VIP_PREFIX"] = "24",
                ["FOOBAR_LAN_NETWORK"] = LanNetwork,
                ["FOOBAR_ELECTION_INTERVAL"] = null,
                ["FOOBAR_HTTP_PORT"] = null,
                ["FOOBAR_HTTPS_PORT"] = null,
                ["FOOBAR_SECRETS"] = null,
            });
        log($"stack {Name} deployed, the site on {Endpoint}");
    }

    /// <summary>The running containers of a service (its tasks' containers on this node).</summary>
    public Task<IReadOnlyList<string>> ContainersAsync(string service) =>
        DockerCli.LinesAsync("ps", "--quiet", "--no-trunc", "--filter", $"label=com.docker.swarm.service.name={Service(service)}");

    /// <summary>
    /// Every election transition lb-1 and lb-2 logged (event 5001: time, node, from, to, reason), oldest first, from
    /// <c>docker service logs</c>: a takeover nobody asked for shows here.
    /// </summary>
    public async Task<IReadOnlyList<string>> ElectionTransitionsAsync()
    {
        var transitions = new List<(string At, string Line)>();
        foreach (var service in new[] { "lb-1", "lb-2" })
        {
            var logs = await DockerCli.RunAsync(["service", "logs", "--raw", "--no-trunc", Service(service)], TimeSpan.FromMinutes(1));
            foreach (var line in logs.Output.Split('\n').Where(l => l.Contains("\"Id\":5001", StringComparison.Ordinal)))
            {
                try
                {
                    var json = System.Text.Json.JsonDocument.Parse(line[line.IndexOf('{', StringComparison.Ordinal)..]).RootElement;
                    string Field(string name) => json.TryGetProperty(name, out var value) ? value.ToString() : "?";
                    transitions.Add((Field("@t"), $"{Field("@t")[11..23]} {Field("Node")}: {Field("From")} -> {Field("To")} ({Field("Reason")})"));
                }
                catch (System.Text.Json.JsonException)
                {
                    transitions.Add(("", line));
                }
            }
        }

        return [.. transitions.OrderBy(t => t.At, StringComparer.Ordinal).Select(t => t.Line)];
    }

    /// <summary>
    /// The services among lb-1 and lb-2 whose running container has the virtual IP: the kernel of each task's network
    /// namespace lists it as a local address in /proc/net/fib_trie (the election's own view is not asked).
    /// </summary>
    public async Task<IReadOnlyList<string>> VirtualIpHoldersAsync()
    {
        var holders = new List<string>();
        foreach (var service in new[] { "lb-1", "lb-2" })
        {
            foreach (var container in await ContainersAsync(service))
            {
                var fib = await DockerCli.RunAsync(["exec", container, "cat", "/proc/net/fib_trie"]);
                if (fib.ExitCode == 0 && fib.Output.Split('\n').Any(l => l.Trim() == $"|-- {VirtualIp}"))
                {
                    holders.Add(service);
                }
            }
        }

        return holders;
    }

    /// <summary>
    /// Stands for the operator's one-time setup on real nodes: a config-only network with the node's part of the LAN
    /// (here the bridge as the parent), and the swarm-scoped macvlan network made from it. Then the host's own foot on
    /// the segment, holding the gateway address.
    /// </summary>
    private async Task CreateLanAsync()
    {
        _lanCreated = true;
        await IpAsync("link", "add", Bridge, "type", "bridge");
        await IpAsync("link", "set", Bridge, "up");
        await DockerCli.CheckedAsync(
            ["network", "create", "--config-only", "--subnet", $"{Subnet}.0/24", "--gateway", $"{Subnet}.1", "--ip-range", $"{Subnet}.16/28", "--opt", $"parent={Bridge}", LanConfig]);
        await DockerCli.CheckedAsync(["network", "create", "--driver", "macvlan", "--scope", "swarm", "--config-from", LanConfig, LanNetwork]);
        await IpAsync("link", "add", HostInterface, "link", Bridge, "type", "macvlan", "mode", "bridge");
        await IpAsync("address", "add", $"{Subnet}.1/24", "dev", HostInterface);
        await IpAsync("link", "set", HostInterface, "up");
    }

    private async Task RemoveLanAsync()
    {
        if (!_lanCreated)
        {
            return;
        }

        // The network goes once no task is attached any more; the stack's removal takes a while.
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
        while ((await DockerCli.RunAsync(["network", "rm", LanNetwork])).ExitCode != 0
            && (await DockerCli.RunAsync(["network", "inspect", LanNetwork])).ExitCode == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
        }

        await DockerCli.RunAsync(["network", "rm", LanConfig]);
        await CommandLine.RunAsync("ip", ["link", "del", HostInterface], RepoPaths.Root, TimeSpan.FromSeconds(20));
        await CommandLine.RunAsync("ip", ["link", "del", Bridge], RepoPaths.Root, TimeSpan.FromSeconds(20));
        _lanCreated = false;
    }

    private static async Task IpAsync(params string[] arguments)
    {
        var result = await CommandLine.RunAsync("ip", arguments, RepoPaths.Root, TimeSpan.FromSeconds(20));
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"ip {string.Join(' ', arguments)} failed (the swarm test needs root on the engine's host): {result}");
        }
    }

    /// <summary>A 10.214.x.0/24 that no route of this host (Docker's networks, another test's) covers.</summary>
    private static string FreeSubnet()
    {
        var routes = File.ReadAllText("/proc/net/route");
        var used = new System.Text.RegularExpressions.Regex(@"^\S+\t([0-9A-F]{8})\t", System.Text.RegularExpressions.RegexOptions.Multiline)
            .Matches(routes).Select(m => Convert.ToUInt32(m.Groups[1].Value, 16)).Select(d => $"{d & 0xff}.{(d >> 8) & 0xff}.{(d >> 16) & 0xff}").ToHashSet();
        var start = Random.Shared.Next(100, 250);
        for (var i = 0; i < 150; i++)
        {
            var candidate = $"10.214.{100 + ((start - 100 + i) % 150)}";
            if (!used.Contains(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("no free 10.214.x.0/24 for the swarm test's lan network");
    }

    /// <summary>The running replicas of each service, e.g. <c>web: 2/2</c>, from <c>docker stack services</c>.</summary>
    public async Task<Dictionary<string, string>> ReplicasAsync() =>
        (await DockerCli.LinesAsync("stack", "services", Name, "--format", "{{.Name}} {{.Replicas}}"))
            .Select(l => l.Split(' ', 2))
            .ToDictionary(p => p[0][(Name.Length + 1)..], p => p[1].Split(' ')[0]);

    /// <summary>The IDs of a service's containers that are running and healthy.</summary>
    public Task<IReadOnlyList<string>> HealthyContainersAsync(string service) =>
        DockerCli.LinesAsync("ps", "--quiet", "--no-trunc", "--filter", $"label=com.docker.swarm.service.name={Service(service)}", "--filter", "health=healthy");

    /// <summary>Removes the stack and waits until nothing of it is left; then its volumes.</summary>
    public async Task RemoveAsync()
    {
        await DockerCli.CheckedAsync(["stack", "rm", Name]);
        _deployed = false;
        var label = $"label=com.docker.stack.namespace={Name}";
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (DateTime.UtcNow < deadline)
        {
            var containers = await DockerCli.LinesAsync("ps", "--all", "--quiet", "--filter", label);
            var networks = await DockerCli.LinesAsync("network", "ls", "--quiet", "--filter", label);
            if (containers.Count == 0 && networks.Count == 0)
            {
                break;
            }

            await Task.Delay(500);
        }

        foreach (var volume in await DockerCli.LinesAsync("volume", "ls", "--quiet", "--filter", label))
        {
            await DockerCli.CheckedAsync(["volume", "rm", volume]);
        }

        await RemoveLanAsync();
    }

    /// <summary>What is left of the stack on the engine, as "kind id" lines: empty after <see cref="RemoveAsync"/>.</summary>
    public async Task<IReadOnlyList<string>> LeftoversAsync()
    {
        var label = $"label=com.docker.stack.namespace={Name}";
        var left = new List<string>();
        left.AddRange((await DockerCli.LinesAsync("ps", "--all", "--quiet", "--filter", label)).Select(id => $"container {id}"));
        left.AddRange((await DockerCli.LinesAsync("network", "ls", "--quiet", "--filter", label)).Select(id => $"network {id}"));
        left.AddRange((await DockerCli.LinesAsync("volume", "ls", "--quiet", "--filter", label)).Select(id => $"volume {id}"));
        left.AddRange((await DockerCli.LinesAsync("secret", "ls", "--quiet", "--filter", label)).Select(id => $"secret {id}"));
        left.AddRange((await DockerCli.LinesAsync("service", "ls", "--quiet", "--filter", label)).Select(id => $"service {id}"));
        left.AddRange((await DockerCli.LinesAsync("network", "ls", "--quiet", "--filter", $"name={Name}")).Select(id => $"network {id}"));
        left.AddRange(new[] { Bridge, HostInterface }.Where(i => Directory.Exists($"/sys/class/net/{i}")).Select(i => $"interface {i}"));
        return left;
    }

    public async ValueTask DisposeAsync()
    {
        if (_deployed)
        {
            // After a failure: the volumes can go only once the stack's containers are gone, which takes a while.
            await DockerCli.RunAsync(["stack", "rm", Name]);
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
            string[] volumes;
            do
            {
                await Task.Delay(TimeSpan.FromSeconds(2));
                volumes = (await DockerCli.RunAsync(["volume", "ls", "--quiet", "--filter", $"label=com.docker.stack.namespace={Name}"])).Output
                    .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                foreach (var volume in volumes)
                {
                    await DockerCli.RunAsync(["volume", "rm", volume]);
                }
            }
            while (volumes.Length > 0 && DateTime.UtcNow < deadline);
        }

        await RemoveLanAsync();

        if (_node is not null && !_initialisedSwarm)
        {
            foreach (var label in _addedLabels)
            {
                await DockerCli.RunAsync(["node", "update", "--label-rm", label, _node]);
            }
        }

        if (_initialisedSwarm)
        {
            await DockerCli.RunAsync(["swarm", "leave", "--force"], TimeSpan.FromMinutes(1));
            // swarm init made this bridge for the node's overlay traffic; leaving keeps it.
            await DockerCli.RunAsync(["network", "rm", "docker_gwbridge"]);
        }
    }

    /// <summary>
    /// foobar/app, web and lb from the repository's Dockerfiles, through docker-compose.yml's build sections (the
    /// legacy builder: BuildKit would pull its Dockerfile frontend, and no registry is reachable here). The base images
    /// come from deploy/local-images.sh. In CI (CI=true) they are always built from the checkout (cached layers make a
    /// rebuild quick); on a development machine whose engine other checkouts share, images that exist are used as they
    /// are, since rebuilding the shared tags from this checkout would change the images under another one's tests.
    /// </summary>
    private static async Task BuildImagesAsync(Action<string> log)
    {
        string[] ours = ["foobar/app:local", "foobar/web:local", "foobar/lb:local"]; // FOOBAR_TAG unset: the files' default tag
        var missing = false;
        foreach (var image in ours)
        {
            missing |= (await DockerCli.RunAsync(["image", "inspect", "--format", "{{.Id}}", image])).ExitCode != 0;
        }

        if (!missing && Environment.GetEnvironmentVariable("CI") != "true")
        {
            log("images present, used as they are (not in CI)");
            return;
        }

        var environment = new Dictionary<string, string?> { ["DOCKER_HOST"] = DockerCli.Host, ["DOCKER_BUILDKIT"] = "0", ["COMPOSE_DOCKER_CLI_BUILD"] = "0" };
        var script = Path.Combine(RepoPaths.Root, "deploy", "local-images.sh");
        if (File.Exists(script))
        {
            var images = await CommandLine.RunAsync("bash", [script], RepoPaths.Root, TimeSpan.FromMinutes(20), environment);
            Assert.True(images.ExitCode == 0, $"deploy/local-images.sh failed: {images}");
        }

        var started = DateTime.UtcNow;
        var build = await CommandLine.RunAsync(
            "docker-compose", ["--file", Path.Combine(RepoPaths.Root, "docker-compose.yml"), "--project-directory", RepoPaths.Root, "build", "app", "web", "lb-1"],
            RepoPaths.Root, TimeSpan.FromMinutes(20), environment);
        Assert.True(build.ExitCode == 0, $"docker-compose build failed: {build}");
        log($"images built in {(DateTime.UtcNow - started).TotalSeconds:F0} s");
    }
}
