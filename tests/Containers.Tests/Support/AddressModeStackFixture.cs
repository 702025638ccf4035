namespace Foobar.Containers.Tests.Support;

/// <summary>
/// docker-compose.yml with docker-compose.address.yml: lb-1 and lb-2 as separate containers on edge (services
/// lb-1-address and lb-2-address), the leader holding the virtual IP <c>{EdgePrefix}.100</c>, which the host reaches
/// over the edge bridge. A project, free admin ports and an edge /24 of its own (10.213.20-99, apart from the main
/// fixture's 100-249), so it can share an engine with the main stack and with a developer's demo.
/// </summary>
public sealed class AddressModeStackFixture()
    : ComposeStackFixture("foobaraddr", "docker-compose.address.yml", ["postgres", "app", "web", .. Services], $"10.213.{Random.Shared.Next(20, 100)}")
{
    /// <summary>The load balancers' services; their node names are lb-1 and lb-2.</summary>
    public static readonly string[] Services = ["lb-1-address", "lb-2-address"];

    public string VirtualIp => $"{EdgePrefix}.100";

    /// <summary>The virtual IP's public listener, straight over the edge bridge (nothing is published for it).</summary>
    public override Uri Endpoint => new($"http://{VirtualIp}:8080/");
}
