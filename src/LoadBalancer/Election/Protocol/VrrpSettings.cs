namespace Foobar.LoadBalancer.Election.Protocol;

/// <summary>What the state machine needs from <see cref="ElectionOptions"/>, already validated.</summary>
internal sealed record VrrpSettings
{
    public required string NodeName { get; init; }

    /// <summary>1-254; 255 (address owner, RFC 5798 6.4.1) is accepted here for completeness but not by configuration.</summary>
    public required byte Priority { get; init; }

    public TimeSpan AdvertisementInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    public bool Preempt { get; init; } = true;

    public TimeSpan PreemptDelay { get; init; } = TimeSpan.Zero;

    public int HealthPenalty { get; init; } = 150;

    public int HistoryCapacity { get; init; } = 64;

    /// <summary>Configured priority, minus the penalty while unhealthy, never below 1 (0 means "leaving"); the owner (255) keeps 255.</summary>
    public byte EffectivePriority(bool healthy) =>
        healthy || Priority == 255 ? Priority : (byte)Math.Max(1, Priority - HealthPenalty);

    public static VrrpSettings From(ElectionOptions options) => new()
    {
        NodeName = options.NodeName ?? throw new InvalidOperationException("Election:NodeName is not set."),
        Priority = (byte)options.Priority,
        AdvertisementInterval = options.AdvertisementInterval,
        Preempt = options.Preempt,
        PreemptDelay = options.PreemptDelay,
        HealthPenalty = options.HealthPenalty,
    };
}
