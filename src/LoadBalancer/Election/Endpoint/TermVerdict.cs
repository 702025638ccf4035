namespace Foobar.LoadBalancer.Election.Endpoint;

/// <summary>See <see cref="EndpointTerm.Judge"/>.</summary>
internal enum TermVerdict
{
    None,
    Newer,
    Older,
}
