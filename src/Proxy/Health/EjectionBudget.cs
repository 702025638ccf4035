namespace Foobar.Proxy.Health;

/// <summary>Envoy's <c>max_ejection_percent</c>: how many destinations passive checks may hold out at once.</summary>
internal static class EjectionBudget
{
    /// <summary>
    /// At most <paramref name="maxPercent"/> of <paramref name="destinations"/>, rounded down, but never less than one:
    /// a single dead server is always ejectable, and with two servers passive checks can never take out both.
    /// </summary>
    public static int Allowed(int destinations, int maxPercent) =>
        Math.Max(1, destinations * maxPercent / 100);
}
