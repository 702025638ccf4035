using System.Net;
using Foobar.LoadBalancer.Tests.Support;
using Foobar.TestSupport;

namespace Foobar.LoadBalancer.Tests.Limits;

public sealed class RateLimitTests
{
    [Fact]
    public async Task Get_OverPerClientLimit_TooManyRequests429WithRetryAfter()
    {
        await using var backend = await NamedUpstream.StartAsync("backend-1");
        await using var balancer = await LoadBalancerProcess.StartAsync(
            [backend.Url],
            new Dictionary<string, string?> { ["RateLimit:Enabled"] = "true", ["RateLimit:PermitLimit"] = "5", ["RateLimit:Window"] = "00:00:10" });
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };

        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 8; i++)
        {
            var response = await client.GetAsync(balancer.PublicUrl);
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                limited ??= response;
            }
        }

        Assert.Equal(5, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(3, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
        Assert.InRange(limited!.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 1, 10);
        // The operator's port is never limited.
        using var admin = await client.GetAsync(new Uri(balancer.AdminUrl, "/status"));
        Assert.Equal(HttpStatusCode.OK, admin.StatusCode);
    }
}
