using System.Net.Http.Json;
using System.Text.Json;
using Foobar.LoadBalancer.Election.Peers;

namespace Foobar.LoadBalancer.Tests.Failover;

/// <summary>
/// The parts of an LB's admin <c>/status</c> that the failover tests read, with the election's states as the wire
/// spells them ("Master"), which the assertions compare; the whole body in the server's own types is
/// <see cref="Support.AdminStatus"/>.
/// </summary>
internal sealed record ElectionStatus(string Node, int AvailableServers, ElectionStatus.ElectionPart? Election)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string State => Election?.State ?? "?";

    public bool Serving => Election is { State: "Master", HoldsEndpoint: true };

    public static async Task<ElectionStatus> GetAsync(HttpClient client, Uri adminUrl) =>
        (await client.GetFromJsonAsync<ElectionStatus>(new Uri(adminUrl, "/status"), Json))!;

    internal sealed record ElectionPart(
        string Node,
        string State,
        int ConfiguredPriority,
        int EffectivePriority,
        bool Healthy,
        string? HealthReason,
        bool HoldsEndpoint,
        List<Peer> Peers,
        List<Transition> History,
        List<PeerTransition> PeerHistory,
        Dictionary<string, long> DroppedPackets);

    internal sealed record Peer(string Node, int Priority, int ConfiguredPriority, string State, DateTimeOffset HeardAt, bool HoldsEndpoint);

    internal sealed record Transition(DateTimeOffset At, string From, string To, string Reason);
}
