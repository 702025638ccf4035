namespace Foobar.LoadBalancer.Election.Witness;

/// <summary>
/// The witness's answer to a request for the lease: whether this node holds it now, and the row as it stands (its
/// holder, its fencing term, and how long it still runs on the database's clock; negative once expired).
/// </summary>
internal sealed record LeaseReply(bool Granted, string Holder, ulong Term, TimeSpan Remaining);
