namespace Foobar.LoadBalancer.Election.Witness;

/// <summary>
/// Configuration section <c>Election:Witness</c> (bound as <see cref="ElectionOptions.Witness"/>): the third vote of a load balancer pair, a lease row in PostgreSQL
/// (docs/election.md, "The witness"). Off unless <see cref="ConnectionString"/> is set.
/// </summary>
internal sealed record WitnessOptions
{
    /// <summary>
    /// The leader multiplies its advertisement interval by this for the default lease: at least every node's
    /// Master_Down_Interval (3 intervals plus a Skew_Time under one interval), so a lone Master gives the witness the
    /// same patience a Backup gives a silent Master before it fences itself.
    /// </summary>
    public const int DefaultLeaseIntervals = 5;

    /// <summary>An Npgsql connection string for the witness database; the role needs CREATE on it (the lease table is made on first use).</summary>
    public string? ConnectionString { get; init; }

    /// <summary>How long a granted or renewed lease lasts on the database's clock; default 5 x AdvertisementInterval.</summary>
    public TimeSpan? LeaseDuration { get; init; }

    public bool Enabled => !string.IsNullOrWhiteSpace(ConnectionString);
}
