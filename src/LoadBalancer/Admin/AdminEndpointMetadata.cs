namespace Foobar.LoadBalancer.Admin;

/// <summary>Marks an endpoint as the admin listener's: it matches there and nowhere else.</summary>
internal sealed class AdminEndpointMetadata
{
    public static readonly AdminEndpointMetadata Instance = new();

    private AdminEndpointMetadata()
    {
    }
}
