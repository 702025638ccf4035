using Microsoft.Extensions.Configuration;

namespace Foobar.LoadBalancer.Election.Listen;

/// <summary>
/// Holds the public endpoints' Kestrel keys only while this node leads. Kestrel, configured from the <c>Kestrel</c>
/// section with reloadOnChange (ASP.NET Core's default), binds endpoints that appear and unbinds ones that disappear
/// on <see cref="ConfigurationProvider.OnReload"/>, leaving every other listener alone. A custom provider because
/// setting a key to null in the stock in-memory provider does not remove the endpoint; removing the key does.
/// </summary>
internal sealed class PublicEndpointConfigurationProvider : ConfigurationProvider
{
    private readonly Lock _gate = new();

    public bool IsOpen { get; private set; }

    public void Open(IEnumerable<PublicEndpoint> endpoints)
    {
        lock (_gate)
        {
            Data = new Dictionary<string, string?>(endpoints.SelectMany(e => e.ToKestrelSettings()), StringComparer.OrdinalIgnoreCase);
            IsOpen = true;
        }

        OnReload();
    }

    public void Close()
    {
        lock (_gate)
        {
            Data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            IsOpen = false;
        }

        OnReload();
    }
}
