namespace Foobar.LoadBalancer.Tests.Support;

/// <summary>One web server on /status.</summary>
internal sealed record StatusServer(string Name, string Address, string Health, string State, bool Available, int InFlight, long Requests, long Errors);
