using Foobar.TestSupport;

namespace Foobar.Deployment.Tests.Support;

/// <summary>
/// deploy/swarm/stack.yml deployed for real on a single-node swarm of the test's engine: the swarm is initialised
/// here when the engine is not in one yet (and left again afterwards), the node is given the database's label, and
/// the project's images are built first (cached layers make that quick when they exist). Every name carries a
/// random stack name, and disposing removes the stack, its volumes, and whatever this class added to the engine.
/// </summary>
internal sealed class SwarmStack : IAsyncDisposable
{
    private const string PostgresLabel = "foobar.postgres";
    private bool _initialisedSwarm;
    private bool _labelledNode;
    private string? _node;
    private bool _deployed;

    public SwarmStack()
    {
        Name = $"foobar{Guid.NewGuid():N}"[..14];
        HttpPort = FreePorts.Next();
        HttpsPort = FreePorts.Next();
    }

    /// <summary>The stack's name: the prefix of every service, network, volume and secret it creates.</summary>
    public string Name { get; }

    /// <summary>The published HTTP port (host mode: bound by the lb task on this node).</summary>
    public int HttpPort { get; }

    public int HttpsPort { get; }

    public Uri Endpoint => new($"http://127.0.0.1:{HttpPort}");

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
        if (!labels.Contains($"\"{PostgresLabel}\"", StringComparison.Ordinal))
        {
            await DockerCli.CheckedAsync(["node", "update", "--label-add", $"{PostgresLabel}=true", _node]);
            _labelledNode = true;
        }

        _deployed = true;
        await DockerCli.CheckedAsync(
            ["stack", "deploy", "--detach=true", "--resolve-image", "never", "--compose-file", StackFile.MainFile, "--compose-file", StackFile.SingleNodeFile, Name],
            TimeSpan.FromMinutes(2),
            new Dictionary<string, string?>
            {
                ["FOOBAR_HTTP_PORT"] = HttpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["FOOBAR_HTTPS_PORT"] = HttpsPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["FOOBAR_SECRETS"] = null,
            });
        log($"stack {Name} deployed, HTTP on {Endpoint}");
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

        if (_labelledNode && _node is not null && !_initialisedSwarm)
        {
            await DockerCli.RunAsync(["node", "update", "--label-rm", PostgresLabel, _node]);
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
