using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Foobar.Launcher.Processes;
using Foobar.Launcher.Stack;
using Foobar.TestSupport;

namespace Foobar.System.Tests;

/// <summary>A Launcher of its own, stopped and started again on the same data directory.</summary>
public sealed class LauncherRestartTests
{
    [Fact]
    public async Task StopAndStartAgain_PostsSurvive_AndNoProcessOutlivesEitherRun()
    {
        await using var first = new LauncherProcess(null, "--web", "1", "--app", "1");
        var firstStack = await first.StartAsync();
        using var client = new HttpClient { BaseAddress = new Uri(firstStack.Endpoint), Timeout = TimeSpan.FromSeconds(10) };
        var text = $"survives a restart {Guid.NewGuid():N}";
        using (var posted = await client.PostAsJsonAsync("/api/messages", new { author = "restart", text }))
        {
            Assert.Equal(HttpStatusCode.Created, posted.StatusCode);
        }

        // Graceful: SIGTERM, as Ctrl+C or `kill` would send.
        await first.StopAsync();
        Assert.Equal(0, await first.Process.Exited);
        await AssertNoProcessLeftAsync(firstStack, first.DataDirectory);

        // Same data directory and the same ports: nothing of the first run may still hold them.
        await using var second = new LauncherProcess(first.DataDirectory, first.Ports, "--web", "1", "--app", "1");
        var secondStack = await second.StartAsync();
        Assert.Equal(firstStack.Endpoint, secondStack.Endpoint);
        var page = await client.GetFromJsonAsync<JsonElement>("/api/messages?limit=100");
        Assert.Contains(page.GetProperty("items").EnumerateArray(), m => m.GetProperty("text").GetString() == text);

        // Ungraceful: the Launcher itself is SIGKILLed; its children must notice and exit on their own.
        second.Process.Kill();
        await AssertNoProcessLeftAsync(secondStack, second.DataDirectory);
    }

    private static async Task AssertNoProcessLeftAsync(StackFile stack, string dataDirectory)
    {
        var pids = stack.Nodes.Where(n => n.Pid is not null).Select(n => n.Pid!.Value).ToList();
        Assert.NotEmpty(pids);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        List<int> alive;
        do
        {
            alive = [.. pids.Where(Signals.IsAlive), .. ProcessesMentioning(dataDirectory)];
            if (alive.Count == 0)
            {
                return;
            }

            await Task.Delay(250);
        }
        while (DateTime.UtcNow < deadline);

        Assert.Fail($"still running 30 s after the Launcher stopped: {string.Join(", ", alive.Select(Describe))}");
    }

    /// <summary>PostgreSQL's processes name the data directory on their command line.</summary>
    private static IEnumerable<int> ProcessesMentioning(string text)
    {
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            string commandLine;
            try
            {
                commandLine = File.ReadAllText(Path.Combine(directory, "cmdline")).Replace('\0', ' ');
            }
            catch (IOException)
            {
                continue;
            }

            if (commandLine.Contains(text, StringComparison.Ordinal))
            {
                yield return pid;
            }
        }
    }

    private static string Describe(int pid)
    {
        try
        {
            return $"{pid} ({File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim()})";
        }
        catch (IOException)
        {
            return pid.ToString(global::System.Globalization.CultureInfo.InvariantCulture);
        }
    }
}
