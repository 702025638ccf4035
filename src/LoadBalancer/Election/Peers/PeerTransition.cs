namespace Foobar.LoadBalancer.Election.Peers;

/// <summary>
/// A change in what a peer advertises, as this node saw it: its state (<c>Initialize</c>, <c>Backup</c>,
/// <c>Master</c>), <c>Leaving</c> (priority 0) or <c>Silent</c> (nothing heard for its Master_Down_Interval). The
/// peer's own reasons are in its own history; this is the view from here, so the admin page shows both nodes.
/// </summary>
internal sealed record PeerTransition(DateTimeOffset At, string Node, string From, string To, string Reason);
