namespace Foobar.LoadBalancer.Election.Protocol;

/// <summary>One change of state, kept in the bounded history shown by the admin API.</summary>
internal sealed record VrrpTransition(DateTimeOffset At, VrrpState From, VrrpState To, string Reason);
