using Foobar.Deployment.Tests.Support;
using Foobar.TestSupport;
using k8s.Models;

namespace Foobar.Deployment.Tests.Kubernetes;

/// <summary>
/// The Deployments' HTTP probes sent to the real services, each started the way its image starts it (the image's ENV,
/// only the listeners' ports moved to free loopback ones), on the container port the probe names. A path the code does
/// not map, or a port whose listener does not serve it, fails here instead of restarting pods in a cluster.
/// </summary>
public sealed class ProbeTests
{
    private static readonly HttpClient Client = new() { Timeout = TimeSpan.FromSeconds(5) };
    private static readonly KubernetesManifests Manifests = KubernetesManifests.Load();

    /// <summary>The image settings that name a listener: each one's port is a container port.</summary>
    private static readonly string[] ListenerKeys = ["ASPNETCORE_URLS", "Management__Url", "Admin__Url", "Public__HttpUrl", "Public__HttpsUrl"];

    [Fact]
    public async Task WebProbes_AnswerOk()
    {
        await using var running = await StartAsync("web", "Dockerfile.web", new() { ["AppServers:Destinations:0"] = $"http://127.0.0.1:{FreePorts.Next()}" });

        Assert.Equal(["live 200", "ready 200", "startup 200"], await ProbeAllAsync(running));
    }

    [Fact]
    public async Task LoadBalancerProbes_AnswerOkOnTheAdminListener()
    {
        await using var running = await StartAsync("lb", "Dockerfile.lb", new()
        {
            ["WebServers:Destinations:0"] = $"http://127.0.0.1:{FreePorts.Next()}",
            ["Election:Enabled"] = "false",
            ["Public:HttpsUrl"] = "",
        });

        Assert.Equal(["live 200", "ready 200", "startup 200"], await ProbeAllAsync(running));
    }

    [Fact]
    public async Task AppProbes_WithTheDatabaseAway_OnlyReadinessFails()
    {
        // Readiness takes the pod out of the Service while PostgreSQL is away; liveness must not restart it meanwhile.
        await using var running = await StartAsync("app", "Dockerfile.app", new()
        {
            ["ConnectionStrings:Foobar"] = $"Host=127.0.0.1;Port={FreePorts.Next()};Database=foobar;Username=foobar",
        });

        Assert.Equal(["live 200", "ready 503", "startup 200"], await ProbeAllAsync(running));
    }

    private static async Task<RunningWorkload> StartAsync(string workload, string dockerfile, Dictionary<string, string?> settings)
    {
        var image = Dockerfile.Load(dockerfile);
        var ports = new Dictionary<int, int>();
        foreach (var key in ListenerKeys.Where(image.Final.Environment.ContainsKey))
        {
            var url = new Uri(image.Final.Environment[key]);
            var free = FreePorts.Next();
            ports[url.Port] = free;
            settings[key.Replace("__", ":", StringComparison.Ordinal)] = new UriBuilder(url) { Host = "127.0.0.1", Port = free }.Uri.ToString().TrimEnd('/');
        }

        settings.Remove("ASPNETCORE_URLS");
        var main = image.Final.Environment.TryGetValue("ASPNETCORE_URLS", out var urls) ? ports[new Uri(urls).Port] : ports[new Uri(image.Final.Environment["Admin__Url"]).Port];
        var node = new ServiceNode(image.Project, $"{workload}-probe", settings, main);
        try
        {
            await node.StartAsync("/health/live", TimeSpan.FromSeconds(60));
        }
        catch
        {
            await node.DisposeAsync();
            throw;
        }

        return new RunningWorkload(Manifests.Workload(workload), node, ports);
    }

    private static async Task<List<string>> ProbeAllAsync(RunningWorkload running)
    {
        var container = running.Workload.Template.Spec.Containers.Single();
        var results = new List<string>();
        foreach (var (kind, probe) in new[] { ("startup", container.StartupProbe), ("ready", container.ReadinessProbe), ("live", container.LivenessProbe) })
        {
            var get = probe.HttpGet;
            var containerPort = running.Workload.Port(get.Port)!.ContainerPort;
            Assert.True(running.Ports.TryGetValue(containerPort, out var port), $"{running.Workload}: {kind} probe's port {containerPort} is no listener of the image");
            using var response = await Client.GetAsync(new Uri($"http://127.0.0.1:{port}{get.Path}"));
            results.Add($"{kind} {(int)response.StatusCode}");
        }

        return [.. results.Order(StringComparer.Ordinal)];
    }

    private sealed record RunningWorkload(Workload Workload, ServiceNode Node, Dictionary<int, int> Ports) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Node.DisposeAsync();
    }
}
