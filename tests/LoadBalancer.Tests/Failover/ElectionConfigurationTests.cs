using Foobar.LoadBalancer.Tests.Support;
using Foobar.TestSupport;

namespace Foobar.LoadBalancer.Tests.Failover;

/// <summary>How the load balancer process treats its Election settings at start.</summary>
public sealed class ElectionConfigurationTests
{
    [Fact]
    public async Task Start_ElectionEnabledWithoutKey_RefusesNamingElectionKey()
    {
        var settings = LoadBalancerProcess.Settings([$"http://127.0.0.1:{FreePorts.Next()}"], FreePorts.Next(), FreePorts.Next(), FreePorts.Next(), Path.GetTempPath());
        settings["Election:Enabled"] = "true";
        settings["Election:Peers:0"] = $"127.0.0.1:{FreePorts.NextUdp()}";
        await using var node = new ServiceNode("LoadBalancer", "lb-1", settings);

        var (exitCode, output) = await node.RunToCompletionAsync(TimeSpan.FromSeconds(30));

        Assert.NotEqual(0, exitCode);
        Assert.Contains("Election:Key", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_ElectionNotConfigured_SingleLoadBalancerServesAlone()
    {
        await using var web = await NamedUpstream.StartAsync("web-a");
        await using var balancer = await LoadBalancerProcess.StartAsync([web.Url]);
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };

        var status = await ElectionStatus.GetAsync(client, balancer.AdminUrl);
        using var response = await client.GetAsync(balancer.PublicUrl);

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(("Master", true), (status.Election!.State, status.Election.HoldsEndpoint));
        Assert.Empty(status.Election.Peers);
    }
}
