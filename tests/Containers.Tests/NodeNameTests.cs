using System.Text.RegularExpressions;
using Foobar.Containers.Tests.Support;

namespace Foobar.Containers.Tests;

/// <summary>
/// Replicas of one service share one configuration, yet each names itself after its container (web-1, app-2; see
/// deploy/entrypoint.sh), not after its container ID: in X-Served-By, in Via, and in the load balancers' view.
/// </summary>
[Collection(ComposeStackCollection.Name)]
public sealed partial class NodeNameTests(ComposeStackFixture stack)
{
    [Fact]
    public async Task Replicas_NamedAfterTheirContainers_InServedByAndVia()
    {
        await stack.WaitHealthyAsync(TimeSpan.FromMinutes(3));
        using var client = stack.CreateClient();
        var webs = new HashSet<string>();
        var apps = new HashSet<string>();

        // Until both replicas of each tier have answered: after the tests that kill or scale containers, a replica may
        // still be on its way back into the load balancers' rotation (active health checks), so give it time, not a count.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (DateTime.UtcNow < deadline && (webs.Count < 2 || apps.Count < 2))
        {
            using var page = await client.GetAsync("/");
            var web = Assert.Single(page.Headers.GetValues("X-Served-By"));
            Assert.Matches(WebName(), web);
            Assert.Matches(LbName(), string.Join(", ", page.Headers.Via.Select(v => v.ReceivedBy)));
            webs.Add(web);

            using var api = await client.GetAsync("/api/messages?limit=1");
            var app = Assert.Single(api.Headers.GetValues("X-Served-By"));
            Assert.Matches(AppName(), app);
            var via = api.Headers.Via.Select(v => v.ReceivedBy).ToList();
            Assert.Contains(via, v => WebName().IsMatch(v));
            Assert.Contains(via, v => LbName().IsMatch(v));
            apps.Add(app);
            // The load balancer's round robin alternates, so with two requests a round "/" always lands on the same
            // web server: the API request's Via names the other one (seen: 90 s of "/" served by web-1 only).
            webs.UnionWith(via.Where(v => WebName().IsMatch(v)));
        }

        Assert.Equal(["web-1", "web-2"], webs.Order());
        Assert.Equal(["app-1", "app-2"], apps.Order());
    }

    [Fact]
    public async Task LoadBalancerStatus_NamesEachWebServerAfterItsContainer()
    {
        await stack.WaitHealthyAsync(TimeSpan.FromMinutes(3));

        foreach (var lb in new[] { "lb-1", "lb-2" })
        {
            var status = await LoadBalancers.StatusAsync(stack, lb);
            var nodes = status.GetProperty("servers").EnumerateArray().Select(s => s.GetProperty("node").GetString()).ToList();
            Assert.Equal(["web-1", "web-2"], nodes.Order());
        }
    }

    [GeneratedRegex(@"^web-\d+$")]
    private static partial Regex WebName();

    [GeneratedRegex(@"^app-\d+$")]
    private static partial Regex AppName();

    [GeneratedRegex("^lb-[12]$")]
    private static partial Regex LbName();
}
