using Foobar.Launcher.Stack;

namespace Foobar.Launcher.Tests.Stack;

public sealed class StackPlanTests
{
    [Fact]
    public void Nodes_DefaultOptions_TwoOfEachTierWiredTogether()
    {
        var plan = new StackPlan(new LauncherOptions(), "Host=db", "/data", "key-key-key-key-key", "token");

        Assert.Equal(["app-1", "app-2", "web-1", "web-2", "lb-1", "lb-2"], plan.Nodes.Select(n => n.Name));
        var web1 = plan.Nodes.Single(n => n.Name == "web-1");
        Assert.Equal("http://127.0.0.1:5101", web1.Settings["AppServers:Destinations:0"]);
        Assert.Equal("http://127.0.0.1:5102", web1.Settings["AppServers:Destinations:1"]);
        var lb1 = plan.Nodes.Single(n => n.Name == "lb-1");
        var lb2 = plan.Nodes.Single(n => n.Name == "lb-2");
        Assert.Equal("http://127.0.0.1:8080", lb1.Settings["Public:HttpUrl"]);
        Assert.Equal(lb1.Settings["Public:HttpUrl"], lb2.Settings["Public:HttpUrl"]);
        Assert.Equal("http://127.0.0.1:9101", lb1.AdminUrl);
        Assert.Equal("http://127.0.0.1:9102", lb2.AdminUrl);
        Assert.Equal("127.0.0.1:9202", lb1.Settings["Election:Peers:0"]);
        Assert.Equal("127.0.0.1:9201", lb2.Settings["Election:Peers:0"]);
        Assert.True(int.Parse(lb1.Settings["Election:Priority"]) > int.Parse(lb2.Settings["Election:Priority"]));
        Assert.Equal("Host=db", plan.Nodes.Single(n => n.Name == "app-2").Settings["ConnectionStrings:Foobar"]);
    }

    [Fact]
    public void AllPorts_NoTwoNodesShareAPortExceptTheEndpoint()
    {
        var plan = new StackPlan(new LauncherOptions { Web = 9, App = 9 }, "Host=db", "/data", "key", "token");

        var own = plan.Nodes.SelectMany(n => n.Ports).ToList();

        Assert.Equal(own.Count, own.Distinct().Count());
        Assert.DoesNotContain(8080, own);
        Assert.Contains(8080, plan.AllPorts);
    }

    [Fact]
    public void Nodes_SingleLoadBalancer_ElectionDisabled()
    {
        var plan = new StackPlan(new LauncherOptions { LoadBalancers = 1, Web = 1, App = 1 }, "Host=db", "/data", "key", "token");

        var lb = Assert.Single(plan.Nodes, n => n.Role == NodeRole.Lb);
        Assert.Equal("false", lb.Settings["Election:Enabled"]);
        Assert.False(lb.Settings.ContainsKey("Election:Peers:0"));
    }
}
