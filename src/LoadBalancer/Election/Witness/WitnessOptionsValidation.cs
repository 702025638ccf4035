using Foobar.LoadBalancer.Election.Protocol;
using Npgsql;

namespace Foobar.LoadBalancer.Election.Witness;

/// <summary>The witness's part of <see cref="ElectionOptionsValidator"/>: each failure names its key.</summary>
internal static class WitnessOptionsValidation
{
    private const string Prefix = $"{ElectionOptions.Section}:{nameof(ElectionOptions.Witness)}";

    public static IEnumerable<string> Validate(ElectionOptions options)
    {
        var witness = options.Witness;
        if (witness.ConnectionString is not null && string.IsNullOrWhiteSpace(witness.ConnectionString))
        {
            yield return $"{Prefix}:ConnectionString: is empty; leave it out to run without a witness";
        }

        if (!witness.Enabled)
        {
            yield break;
        }

        string? parseError = null;
        try
        {
            var parsed = new NpgsqlConnectionStringBuilder(witness.ConnectionString);
            if (string.IsNullOrWhiteSpace(parsed.Host))
            {
                parseError = "names no Host";
            }
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidCastException or OverflowException)
        {
            parseError = ex.Message;
        }

        if (parseError is not null)
        {
            yield return $"{Prefix}:ConnectionString: is not a valid PostgreSQL connection string ({parseError})";
        }

        // A lease shorter than Master_Down_Interval would make a lone Master fence itself on a witness hiccup shorter
        // than the silence a Backup forgives a Master; and the fencing margin (one interval) must leave room to renew.
        var masterDown = VrrpTimers.MasterDownInterval(options.AdvertisementInterval, (byte)Math.Clamp(options.Priority, 1, 254));
        var lease = WitnessTiming.From(options).Lease;
        if (lease < masterDown)
        {
            yield return $"{Prefix}:LeaseDuration: must be at least Master_Down_Interval ({masterDown.TotalMilliseconds:0.#} ms for priority {options.Priority} and interval {options.AdvertisementInterval.TotalMilliseconds:0} ms), got {lease.TotalMilliseconds:0.#} ms";
        }
        else if (lease > TimeSpan.FromMinutes(10))
        {
            yield return $"{Prefix}:LeaseDuration: must be at most 10 minutes (a takeover waits for it), got {lease}";
        }
    }
}
