using System.ComponentModel.DataAnnotations;
using System.Text;

namespace Foobar.LoadBalancer.Election;

/// <summary>
/// Configuration section <c>Election</c>. Timing default: a 200 ms advertisement interval gives a priority-100 backup a
/// Master_Down_Interval of 3 x 200 + (256 - 100) x 200 / 256 = 721.9 ms (RFC 9568 section 6.1), so a kill -9 of the
/// leader is detected 522-722 ms later (the last advertisement left up to one interval before the kill), which keeps
/// the median unplanned failover under 1 s with room for the listener to open (~30 ms). 100 ms would halve that but
/// makes a GC or thread-pool stall of 3 intervals (~0.36 s) under full load enough to flap.
/// </summary>
internal sealed record ElectionOptions
{
    public const string Section = "Election";
    public const int MinKeyBytes = 16;
    public const string Base64Prefix = "base64:";
    public const string ListenMode = "listen";
    public const string AddressMode = "address";

    /// <summary>Off: this node owns the endpoint from start to stop (a single load balancer).</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>VRRP's Virtual Router ID: only peers with the same group take part in one election.</summary>
    [Range(1, 255)]
    public int GroupId { get; init; } = 1;

    /// <summary>Defaults to <c>Node:Name</c>. Ties between equal priorities go to the greater name (ordinal).</summary>
    /// <remarks>Settable, unlike the rest, because the default is filled in after binding (PostConfigure).</remarks>
    public string? NodeName { get; set; }

    /// <summary>RFC 5798 5.2.4: 1-254 for a router that does not own the address (255 is the owner, 0 is "leaving").</summary>
    [Range(1, 254)]
    public int Priority { get; init; } = 100;

    [Range(typeof(TimeSpan), "00:00:00.020", "00:00:10")]
    public TimeSpan AdvertisementInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    public bool Preempt { get; init; } = true;

    /// <summary>How long a higher-priority backup waits, after first hearing a lower-priority master, before preempting it.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:16:40")]
    public TimeSpan PreemptDelay { get; init; } = TimeSpan.Zero;

    /// <summary>The UDP address:port this node receives advertisements on.</summary>
    [Required]
    public string Bind { get; init; } = "127.0.0.1:9201";

    /// <summary>UDP host:port of every other node of the group; advertisements are unicast to each.</summary>
    public List<string> Peers { get; init; } = [];

    /// <summary>
    /// Shared HMAC-SHA256 key, at least 16 bytes: either text (its UTF-8 bytes) or <c>base64:...</c>.
    /// Required when the election is enabled: the process refuses to start without it.
    /// </summary>
    public string? Key { get; init; }

    /// <summary>Subtracted from the priority while the node is unhealthy (no healthy web server, or cannot bind the endpoint).</summary>
    [Range(0, 253)]
    public int HealthPenalty { get; init; } = 150;

    /// <summary>
    /// <c>listen</c>: the leader opens the public listeners (both nodes on one host). <c>address</c>: the leader adds
    /// <see cref="VirtualAddress"/> to <see cref="Interface"/> and sends gratuitous ARP (nodes on one layer-2 network).
    /// </summary>
    [Required]
    public string Mode { get; init; } = ListenMode;

    /// <summary><c>address</c> mode: the virtual IPv4 address with its prefix length, e.g. <c>10.20.0.100/24</c>.</summary>
    public string? VirtualAddress { get; init; }

    /// <summary><c>address</c> mode: the interface that gets the virtual address, e.g. <c>eth0</c>.</summary>
    public string? Interface { get; init; }

    /// <summary>On graceful stop, how long the leader keeps serving while waiting for a peer to announce itself master.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:30")]
    public TimeSpan HandoverTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>While the leader cannot bind the endpoint, how long before that counts as unhealthy (a handover takes ~100 ms).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan BindGracePeriod { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The third vote against partitions between hosts: a lease row in PostgreSQL (<c>Election:Witness</c>); off by default.</summary>
    public Witness.WitnessOptions Witness { get; init; } = new();

    /// <summary>RFC 5798 VRRPv3 on the wire as well, to share the virtual IP with VRRPv3 routers (<c>Election:Vrrp</c>); off by default.</summary>
    public Vrrp.VrrpOptions Vrrp { get; init; } = new();

    /// <summary>The key bytes, or null when the key is missing or not valid base64.</summary>
    public byte[]? GetKeyBytes()
    {
        if (string.IsNullOrEmpty(Key))
        {
            return null;
        }

        if (Key.StartsWith(Base64Prefix, StringComparison.Ordinal))
        {
            try
            {
                return Convert.FromBase64String(Key[Base64Prefix.Length..]);
            }
            catch (FormatException)
            {
                return null;
            }
        }

        return Encoding.UTF8.GetBytes(Key);
    }
}
