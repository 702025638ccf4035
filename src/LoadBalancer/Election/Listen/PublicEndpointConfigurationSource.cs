using Microsoft.Extensions.Configuration;

namespace Foobar.LoadBalancer.Election.Listen;

/// <summary>Hands the one shared provider to the configuration, so the endpoint owner can flip it later.</summary>
internal sealed class PublicEndpointConfigurationSource(PublicEndpointConfigurationProvider provider) : IConfigurationSource
{
    public IConfigurationProvider Build(IConfigurationBuilder builder) => provider;
}
