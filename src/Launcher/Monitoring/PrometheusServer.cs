using System.Globalization;
using Foobar.Launcher.Processes;
using Foobar.Launcher.Stack;

namespace Foobar.Launcher.Monitoring;

/// <summary>
/// Debian's prometheus, started by <c>--prometheus</c> against every node of the stack with the shipped alerting rules,
/// listening on 127.0.0.1 only; its data stays under the data directory between runs.
/// </summary>
internal sealed class PrometheusServer : IAsyncDisposable
{
    public const string InstallHint = "--prometheus needs Prometheus's server binary: install Debian's `prometheus` package (apt-get install prometheus)";

    /// <summary>Scrape and evaluation interval: short, so an alert in a demo fires within seconds (the rules' own
    /// <c>for:</c> durations still apply).</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    private static readonly HttpClient Probe = new() { Timeout = TimeSpan.FromSeconds(2) };
    private readonly ChildProcess _process;

    private PrometheusServer(ChildProcess process, string url)
    {
        _process = process;
        Url = url;
    }

    public string Url { get; }

    public static string? FindBinary() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, "prometheus"))
            .FirstOrDefault(File.Exists);

    public static async Task<PrometheusServer> StartAsync(StackPlan plan, int port, string dataDirectory, CancellationToken ct)
    {
        var binary = FindBinary() ?? throw new InvalidOperationException(InstallHint);
        var directory = Path.Combine(dataDirectory, "prometheus");
        Directory.CreateDirectory(directory);
        var config = Path.Combine(directory, "prometheus.yml");
        await File.WriteAllTextAsync(config, PrometheusConfig.Render(plan, Interval, PrometheusConfig.RulesPath), ct);

        var url = string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}");
        // prometheus does not watch its stdin like our services do, so a small shell does: when the Launcher goes away
        // (even by SIGKILL) the pipe closes, cat returns, and prometheus gets SIGTERM. The shell ignores SIGTERM itself so
        // that a graceful stop always passes through that path instead of orphaning prometheus. The watcher runs beside
        // prometheus (on a copy of stdin), so the shell exits when prometheus does and a failed start (its port taken,
        // say) is reported at once rather than after the ready timeout.
        var process = ChildProcess.Start(
            "sh",
            [
                "-c", "exec 3<&0; \"$0\" \"$@\" </dev/null & p=$!; trap '' TERM; (cat <&3 >/dev/null; kill -TERM $p 2>/dev/null) & exec 3<&-; wait $p", binary,
                $"--config.file={config}",
                $"--storage.tsdb.path={Path.Combine(directory, "data")}",
                "--storage.tsdb.retention.time=1d",
                $"--web.listen-address=127.0.0.1:{port}",
                "--log.level=warn",
            ],
            logFile: Path.Combine(dataDirectory, "logs", "prometheus.log"));
        var server = new PrometheusServer(process, url);
        await server.WaitReadyAsync(ct);
        return server;
    }

    public StackFileNode Describe() =>
        new("prometheus", "prometheus", _process.HasExited ? null : _process.Pid, [Url], null, _process.HasExited ? "exited" : "running");

    public async ValueTask DisposeAsync()
    {
        await _process.StopAsync(TimeSpan.FromSeconds(10));
        await _process.DisposeAsync();
    }

    private async Task WaitReadyAsync(CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            if (_process.HasExited)
            {
                throw new NodeStartException("prometheus", $"exited with code {_process.Exited.Result} during start", _process.LastLines(10));
            }

            try
            {
                using var response = await Probe.GetAsync($"{Url}/-/ready", ct);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                // Not listening yet.
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new NodeStartException("prometheus", $"not ready at {Url}/-/ready after 60 s", _process.LastLines(10));
            }

            await Task.Delay(200, ct);
        }
    }
}
