namespace Foobar.LoadBalancer.Election;

/// <summary>See <see cref="EndpointTerm.Judge"/>.</summary>
internal enum TermVerdict
{
    None,
    Newer,
    Older,
}
