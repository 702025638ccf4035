namespace Foobar.LoadBalancer.Admin;

/// <summary>An RFC 9457 problem body for the admin API's errors.</summary>
internal sealed record ProblemDetailsBody(string Title, int Status, string Detail);
