namespace Foobar.LoadBalancer.Election.Witness;

/// <summary>The witness as the admin <c>/status</c> shows it (<c>election.witness</c>); null there when none is configured.</summary>
internal sealed record WitnessStatus
{
    public required WitnessState State { get; init; }

    /// <summary>The lease's holder in the witness's last answer (null before any answer).</summary>
    public string? Holder { get; init; }

    /// <summary>The lease's fencing term in the witness's last answer (0 before any answer).</summary>
    public ulong Term { get; init; }

    /// <summary>How long the lease still ran, on the database's clock, when the witness last answered.</summary>
    public TimeSpan? Remaining { get; init; }

    /// <summary>When this node last had its lease granted or renewed (the time it sent that request).</summary>
    public DateTimeOffset? ConfirmedAt { get; init; }

    /// <summary>Why the last request failed (null after a success).</summary>
    public string? LastError { get; init; }

    public required TimeSpan LeaseDuration { get; init; }
}
