using System.Net;
using Foobar.TestSupport;

namespace Foobar.System.Tests;

/// <summary>A database outage demonstrated at the Launcher's prompt: <c>stop postgres</c> or <c>kill postgres</c>, then <c>start postgres</c>.</summary>
[Collection(StackCollection.Name)]
public sealed class DatabaseOutageTests(StackFixture stack)
{
    [Theory]
    [InlineData("stop", "stopped")]
    [InlineData("kill", "killed")]
    public async Task PostgresDown_AtThePrompt_ApiAnswers503UntilStartedAgain(string verb, string state)
    {
        using var client = new HttpClient { BaseAddress = stack.Endpoint, Timeout = TimeSpan.FromSeconds(10) };
        Assert.Equal(HttpStatusCode.OK, await StatusOfAsync(client));

        await stack.Launcher.SendAsync($"{verb} postgres");
        try
        {
            await stack.WaitForStateAsync("postgres", state, TimeSpan.FromSeconds(30));
            Assert.Null(stack.Node("postgres").Pid);
            await Poll.UntilAsync(async () => await StatusOfAsync(client) == HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(30), "503 while the database is down", TimeSpan.FromMilliseconds(200));
        }
        finally
        {
            await stack.Launcher.SendAsync("start postgres");
            await stack.WaitForStateAsync("postgres", "running", TimeSpan.FromSeconds(60));
        }

        Assert.NotNull(stack.Node("postgres").Pid);
        await Poll.UntilAsync(async () => await StatusOfAsync(client) == HttpStatusCode.OK, TimeSpan.FromSeconds(30), "200 once the database is back", TimeSpan.FromMilliseconds(200));
        Assert.Contains($"postgres {(verb == "kill" ? "killed (SIGKILL)" : "stopped (fast shutdown)")}", stack.Launcher.Output);
        Assert.DoesNotContain("no node 'postgres'", stack.Launcher.Output);
    }

    private static async Task<HttpStatusCode> StatusOfAsync(HttpClient client)
    {
        try
        {
            using var response = await client.GetAsync("/api/messages?limit=1");
            return response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return 0;
        }
    }
}
