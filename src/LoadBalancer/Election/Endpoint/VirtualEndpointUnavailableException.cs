namespace Foobar.LoadBalancer.Election.Endpoint;

/// <summary>The leader could not take the virtual endpoint; counts as unhealthy after <see cref="ElectionOptions.BindGracePeriod"/>.</summary>
internal sealed class VirtualEndpointUnavailableException : Exception
{
    public VirtualEndpointUnavailableException()
    {
    }

    public VirtualEndpointUnavailableException(string message)
        : base(message)
    {
    }

    public VirtualEndpointUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
