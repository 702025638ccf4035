namespace Foobar.LoadBalancer.Election.Transport;

/// <summary>
/// Rejects replayed and stale advertisements without persisting anything.
/// Each sender stamps packets with an epoch (its boot time in Unix milliseconds, shifted left 16 bits, plus 16 random
/// bits) and a counter starting at 1. Per sender we keep the highest (epoch, sequence) accepted:
/// same epoch requires a greater sequence; a greater epoch is a restart and is accepted; a smaller epoch is a
/// recording from an earlier life of that node and is dropped. Only someone holding the key can mint a new epoch,
/// so a replay can never move the pair forward. The cost: a node whose wall clock went back across its own restart by
/// more than its previous uptime is ignored (logged as replayed) until the receiver restarts.
/// Not thread-safe: the service calls it from its single receive loop.
/// </summary>
internal sealed class ReplayGuard
{
    private readonly Dictionary<string, (ulong Epoch, ulong Sequence)> _last = new(StringComparer.Ordinal);

    public bool TryAccept(string node, ulong epoch, ulong sequence)
    {
        if (_last.TryGetValue(node, out var last))
        {
            if (epoch < last.Epoch || (epoch == last.Epoch && sequence <= last.Sequence))
            {
                return false;
            }
        }

        _last[node] = (epoch, sequence);
        return true;
    }

    /// <summary>A fresh epoch for this process's life: boot time in the upper 48 bits, randomness below.</summary>
    public static ulong NewEpoch(TimeProvider time)
    {
        var ms = (ulong)time.GetUtcNow().ToUnixTimeMilliseconds();
        var random = (ulong)System.Security.Cryptography.RandomNumberGenerator.GetInt32(0, 1 << 16);
        return (ms << 16) | random;
    }
}
