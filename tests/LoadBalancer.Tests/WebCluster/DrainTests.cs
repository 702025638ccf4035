using System.Net;
using System.Net.Http.Headers;
using Foobar.LoadBalancer.Tests.Support;
using Foobar.TestSupport;

namespace Foobar.LoadBalancer.Tests.WebCluster;

public sealed class DrainTests
{
    [Fact]
    public async Task Drain_WithRequestsInFlight_TheyCompleteAndNoNewRequestsArriveUntilReady()
    {
        await using var first = await NamedUpstream.StartAsync("backend-1");
        await using var second = await NamedUpstream.StartAsync("backend-2");
        await using var balancer = await LoadBalancerProcess.StartAsync([first.Url, second.Url]);
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var name = (await AdminStatus.GetAsync(client, balancer.AdminUrl)).Server(first.Url).Name;

        // Round robin over two servers: of 6 slow requests, 3 are on backend-1 when it is drained.
        var slow = Enumerable.Range(0, 6).Select(_ => client.GetAsync(new Uri(balancer.PublicUrl, "/slow?ms=1500"))).ToList();
        await Poll.UntilAsync(() => first.InFlight == 3 && second.InFlight == 3, TimeSpan.FromSeconds(5), interval: TimeSpan.FromMilliseconds(10));
        Assert.Equal(3, (await AdminStatus.GetAsync(client, balancer.AdminUrl)).Server(first.Url).InFlight);

        using (var drain = await Post(client, balancer, $"/servers/{Uri.EscapeDataString(name)}/drain"))
        {
            Assert.Equal(HttpStatusCode.OK, drain.StatusCode);
        }

        var firstBefore = first.Requests;
        for (var i = 0; i < 10; i++)
        {
            using var response = await client.GetAsync(balancer.PublicUrl);
            Assert.Equal("backend-2", response.Headers.GetValues("X-Backend").Single());
        }

        var answers = await Task.WhenAll(slow);
        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
        Assert.Equal(3, answers.Count(a => a.Headers.GetValues("X-Backend").Single() == "backend-1"));
        Assert.Equal(firstBefore, first.Requests);
        var drained = (await AdminStatus.GetAsync(client, balancer.AdminUrl)).Server(first.Url);
        Assert.Equal("drain", drained.State);
        Assert.False(drained.Available);

        using (var ready = await Post(client, balancer, $"/servers/{Uri.EscapeDataString(name)}/ready"))
        {
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }

        for (var i = 0; i < 4; i++)
        {
            (await client.GetAsync(balancer.PublicUrl)).Dispose();
        }

        Assert.True(first.Requests > firstBefore, "a server set ready again gets requests again");
        foreach (var answer in answers)
        {
            answer.Dispose();
        }
    }

    private static async Task<HttpResponseMessage> Post(HttpClient client, LoadBalancerProcess balancer, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(balancer.AdminUrl, path));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", LoadBalancerProcess.AdminToken);
        return await client.SendAsync(request);
    }
}
