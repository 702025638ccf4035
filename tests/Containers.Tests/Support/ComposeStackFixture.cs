using System.Diagnostics;
using Foobar.TestSupport;

namespace Foobar.Containers.Tests.Support;

/// <summary>
/// The repository's docker-compose.yml, built and run for real on the engine in DOCKER_HOST (else the default socket):
/// base images from deploy/local-images.sh, the three images built, `up -d` from a clean state (no containers, no
/// volumes), removed with its volumes afterwards. Host ports are free ones, never 80/443/9101/9102; the images are
/// tagged FOOBAR_TAG (default "test") so a developer's foobar/*:local images stay untouched. A derived fixture runs the
/// file with an overlay (COMPOSE_FILE, which both Compose v1 and v2 read) under a project of its own.
/// </summary>
public class ComposeStackFixture : IAsyncLifetime, IAdminEndpoints
{
    public static readonly string[] LongRunningServices = ["postgres", "app", "web", "lb-1", "lb-2"];

    private readonly IReadOnlyList<string> _longRunningServices;

    private readonly int _httpPort = FreePorts.Next();
    private readonly int _httpsPort = FreePorts.Next();
    private readonly int _prometheusPort = FreePorts.Next();
    private readonly Dictionary<string, int> _adminPorts = new() { ["lb-1"] = FreePorts.Next(), ["lb-2"] = FreePorts.Next() };

    public ComposeStackFixture()
        : this("foobartest", null, LongRunningServices, $"10.213.{Random.Shared.Next(100, 250)}")
    {
    }

    /// <param name="projectPrefix">The project name is this plus random hex (18 characters in all).</param>
    /// <param name="overlay">A compose file layered over docker-compose.yml, or null for the main file alone.</param>
    /// <param name="longRunningServices">The services that must be healthy.</param>
    /// <param name="edgePrefix">The edge network's first three octets: not the default, which a running demo may hold.</param>
    protected ComposeStackFixture(string projectPrefix, string? overlay, IReadOnlyList<string> longRunningServices, string edgePrefix)
    {
        _longRunningServices = longRunningServices;
        EdgePrefix = edgePrefix;
        var variables = new Dictionary<string, string>
        {
            ["FOOBAR_HTTP_PORT"] = _httpPort.ToString(global::System.Globalization.CultureInfo.InvariantCulture),
            ["FOOBAR_HTTPS_PORT"] = _httpsPort.ToString(global::System.Globalization.CultureInfo.InvariantCulture),
            ["FOOBAR_LB1_ADMIN_PORT"] = _adminPorts["lb-1"].ToString(global::System.Globalization.CultureInfo.InvariantCulture),
            ["FOOBAR_LB2_ADMIN_PORT"] = _adminPorts["lb-2"].ToString(global::System.Globalization.CultureInfo.InvariantCulture),
            ["FOOBAR_PROMETHEUS_PORT"] = _prometheusPort.ToString(global::System.Globalization.CultureInfo.InvariantCulture),
            ["FOOBAR_TAG"] = Environment.GetEnvironmentVariable("FOOBAR_TAG") is { Length: > 0 } tag ? tag : "test",
            // edge's /24 is fixed (the admin listeners bind addresses on it).
            ["FOOBAR_EDGE_PREFIX"] = EdgePrefix,
        };
        if (overlay is not null)
        {
            variables["COMPOSE_FILE"] = $"docker-compose.yml{Path.PathSeparator}{overlay}";
        }

        Compose = new Compose($"{projectPrefix}{Guid.NewGuid():N}"[..18], variables);
    }

    internal Compose Compose { get; }

    /// <summary>The first three octets of the edge network; vip's address there is <c>{EdgePrefix}.2</c>.</summary>
    public string EdgePrefix { get; }

    /// <summary>The published HTTP port: the virtual endpoint as clients see it.</summary>
    public virtual Uri Endpoint => new($"http://127.0.0.1:{_httpPort}/");

    public int HttpPort => _httpPort;

    /// <summary>The monitoring profile's Prometheus, published on loopback (started only by the test that needs it).</summary>
    public Uri PrometheusUrl => new($"http://127.0.0.1:{_prometheusPort}/");

    public Uri AdminUrl(string loadBalancer) => new($"http://127.0.0.1:{_adminPorts[loadBalancer]}/");

    /// <summary>How long the image builds and the first `up` took (reported by the tests).</summary>
    public TimeSpan BuildTime { get; private set; }

    public TimeSpan UpTime { get; private set; }

    /// <summary>A client of the site by its name (the Host header www.foobar.com) through the published port.</summary>
    public HttpClient CreateClient(TimeSpan? timeout = null)
    {
        var client = new HttpClient { BaseAddress = Endpoint, Timeout = timeout ?? TimeSpan.FromSeconds(10) };
        client.DefaultRequestHeaders.Host = "www.foobar.com";
        return client;
    }

    public async Task InitializeAsync()
    {
        Assert.True(await DockerEngine.AnswersAsync(), $"No Docker engine answers at {DockerEngine.Host}: the container tests need one (set DOCKER_HOST, or start dockerd; .ci/run does).");
        await LocalImages.EnsureAsync();
        await DisposeAsync();

        var clock = Stopwatch.StartNew();
        await Compose.RunCheckedAsync(TimeSpan.FromMinutes(30), "build");
        BuildTime = clock.Elapsed;

        clock.Restart();
        await UpAsync();
        UpTime = clock.Elapsed;
    }

    /// <summary>
    /// `up -d` and wait until healthy. Compose v1 gives up as soon as a dependency reports unhealthy, which a
    /// container's first healthchecks can on a loaded machine; `up -d` again resumes from where it stopped.
    /// </summary>
    public async Task UpAsync(params string[] arguments)
    {
        for (var attempt = 1; ; attempt++)
        {
            var result = await Compose.RunAsync(TimeSpan.FromMinutes(10), ["up", "-d", .. arguments]);
            if (result.ExitCode == 0)
            {
                break;
            }

            Assert.True(attempt < 3 && result.Output.Contains("is unhealthy", StringComparison.Ordinal), $"compose up -d {string.Join(' ', arguments)}: {result}");
            await Task.Delay(5000);
        }

        await WaitHealthyAsync(TimeSpan.FromMinutes(8));
    }

    /// <summary>Every long-running container healthy, migrate exited 0, and the site answering through the endpoint.</summary>
    public async Task WaitHealthyAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var last = "";
        while (true)
        {
            var problems = new List<string>();
            foreach (var service in _longRunningServices)
            {
                var ids = await Compose.ContainerIdsAsync(service);
                if (ids.Count == 0)
                {
                    problems.Add($"{service}: no container");
                }

                foreach (var id in ids)
                {
                    if (await DockerCli.HealthAsync(id) is var health and not "healthy")
                    {
                        problems.Add($"{service} {id[..12]}: {health}");
                    }
                }
            }

            foreach (var id in await Compose.ContainerIdsAsync("migrate"))
            {
                if (await DockerCli.InspectAsync(id, "{{.State.Status}} {{.State.ExitCode}}") is var state and not "exited 0")
                {
                    problems.Add($"migrate: {state}");
                }
            }

            if (problems.Count == 0 && await SiteAnswersAsync())
            {
                return;
            }

            last = problems.Count == 0 ? "the site does not answer 200 through the endpoint" : string.Join("; ", problems);
            if (DateTime.UtcNow > deadline)
            {
                var ps = await Compose.RunAsync(TimeSpan.FromMinutes(1), "ps");
                Assert.Fail($"stack not healthy within {timeout}: {last}\n{ps.Output}");
            }

            await Task.Delay(1000);
        }
    }

    /// <summary>Removes everything, the monitoring profile's Prometheus included (`down` alone leaves profiled services).</summary>
    public async Task DisposeAsync() => await Compose.RunAsync(TimeSpan.FromMinutes(5), "--profile", "monitoring", "down", "-v", "--remove-orphans");

    private async Task<bool> SiteAnswersAsync()
    {
        // The app tier's first requests (EF Core warming up) took up to 20 s on a 2-core machine at load average 50.
        using var client = CreateClient(TimeSpan.FromSeconds(30));
        try
        {
            using var page = await client.GetAsync("/");
            using var api = await client.GetAsync("/api/messages?limit=1");
            return page.IsSuccessStatusCode && api.IsSuccessStatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }
}
