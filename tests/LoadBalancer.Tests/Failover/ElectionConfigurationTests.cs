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
    public async Task Start_WitnessConnectionStringInvalid_RefusesNamingTheWitnessKey()
    {
        var settings = PairSettings();
        settings["Election:Witness:ConnectionString"] = "Host=127.0.0.1;Port=not-a-port";
        await using var node = new ServiceNode("LoadBalancer", "lb-1", settings);

        var (exitCode, output) = await node.RunToCompletionAsync(TimeSpan.FromSeconds(30));

        Assert.NotEqual(0, exitCode);
        Assert.Contains("Election:Witness:ConnectionString", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_WitnessLeaseShorterThanMasterDownInterval_RefusesNamingTheLeaseKey()
    {
        // Interval 200 ms and priority 100: Master_Down_Interval is 721.9 ms.
        var settings = PairSettings();
        settings["Election:Witness:ConnectionString"] = "Host=127.0.0.1;Port=5432;Username=lb";
        settings["Election:Witness:LeaseDuration"] = "00:00:00.700";
        await using var node = new ServiceNode("LoadBalancer", "lb-1", settings);

        var (exitCode, output) = await node.RunToCompletionAsync(TimeSpan.FromSeconds(30));

        Assert.NotEqual(0, exitCode);
        Assert.Contains("Election:Witness:LeaseDuration", output, StringComparison.Ordinal);
        Assert.Contains("721.9 ms", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_VrrpInListenMode_RefusesNamingTheVrrpKey()
    {
        // VRRPv3 moves an address between hosts; listen mode has none.
        var settings = PairSettings();
        settings["Election:Vrrp:Enabled"] = "true";
        await using var node = new ServiceNode("LoadBalancer", "lb-1", settings);

        var (exitCode, output) = await node.RunToCompletionAsync(TimeSpan.FromSeconds(30));

        Assert.NotEqual(0, exitCode);
        Assert.Contains("Election:Vrrp:Enabled", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_VrrpWithAnIntervalNotInCentiseconds_RefusesNamingTheIntervalKey()
    {
        // VRRPv3 carries the interval in centiseconds: 205 ms cannot be advertised.
        var settings = PairSettings();
        settings["Election:Mode"] = "address";
        settings["Election:VirtualAddress"] = "10.213.7.100/24";
        settings["Election:Interface"] = "eth0";
        settings["Election:Vrrp:Enabled"] = "true";
        settings["Election:AdvertisementInterval"] = "00:00:00.205";
        await using var node = new ServiceNode("LoadBalancer", "lb-1", settings);

        var (exitCode, output) = await node.RunToCompletionAsync(TimeSpan.FromSeconds(30));

        Assert.NotEqual(0, exitCode);
        Assert.Contains("Election:AdvertisementInterval", output, StringComparison.Ordinal);
        Assert.Contains("centiseconds", output, StringComparison.Ordinal);
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

    private static IDictionary<string, string?> PairSettings()
    {
        var settings = LoadBalancerProcess.Settings([$"http://127.0.0.1:{FreePorts.Next()}"], FreePorts.Next(), FreePorts.Next(), FreePorts.Next(), Path.GetTempPath());
        settings["Election:Enabled"] = "true";
        settings["Election:Key"] = "configuration-test-key-0123456789";
        settings["Election:Bind"] = $"127.0.0.1:{FreePorts.NextUdp()}";
        settings["Election:Peers:0"] = $"127.0.0.1:{FreePorts.NextUdp()}";
        return settings;
    }
}
