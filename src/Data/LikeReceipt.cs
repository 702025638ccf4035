namespace Foobar.Data;

/// <summary>
/// Records that the like sent with an Idempotency-Key was counted, so that a retried like (the client or a
/// load balancer re-sending it through a failover) is counted once.
/// </summary>
public sealed class LikeReceipt
{
    public required string IdempotencyKey { get; set; }

    public long MessageId { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}
