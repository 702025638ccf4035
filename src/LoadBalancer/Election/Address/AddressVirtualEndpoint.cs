using System.Net.NetworkInformation;
using Foobar.LoadBalancer.Election.Endpoint;
using Foobar.LoadBalancer.Election.Listen;
using Microsoft.Extensions.Logging;

namespace Foobar.LoadBalancer.Election.Address;

/// <summary>
/// <c>address</c> mode, keepalived's job: the Master adds the virtual IP (<c>Election:VirtualAddress</c>) to
/// <c>Election:Interface</c> and announces it with gratuitous ARP, so neighbours send the virtual IP's traffic to its
/// MAC; a node that lets go removes it. The two load balancers can then be separate hosts (or containers, or network
/// namespaces) on one layer-2 network. Every node opens the public listeners when the election starts, Backup or not
/// (bound to the virtual IP with IP_FREEBIND, or 0.0.0.0), and keeps them open: whether traffic arrives is decided by
/// who has the address, so a takeover is only the address move and its announcement. In a planned handover the new
/// Master adds and announces the address before the old one removes it, so neighbours always have an owner. Needs
/// CAP_NET_ADMIN (netlink) and CAP_NET_RAW (packet socket).
/// </summary>
internal sealed partial class AddressVirtualEndpoint : IVirtualEndpoint
{
    /// <summary>keepalived repeats its gratuitous ARPs (garp_master_repeat) in case one is lost; so does this.</summary>
    private static readonly TimeSpan[] Announcements = [TimeSpan.Zero, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(2)];

    /// <summary>How long a graceful stop waits for its connections to close before handing over; slower responses are cut.</summary>
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(2);

    /// <summary>How long a handing-over node, new SYNs dropped, waits for its last connections before removing the address.</summary>
    private static readonly TimeSpan ReleaseDrainTimeout = TimeSpan.FromSeconds(1);

    /// <summary>How long an incoming Master waits for the outgoing one to let go before announcing anyway.</summary>
    private static readonly TimeSpan AnnounceWaitLimit = TimeSpan.FromSeconds(2);

    private readonly IVirtualEndpoint _listeners;
    private readonly KeepAliveDrain _drain;
    private readonly ListenBindObserver _sockets;
    private readonly Func<ElectionSnapshot> _election;
    private readonly VirtualAddress _address;
    private readonly string _interface;
    private readonly TimeProvider _time;
    private readonly ILogger<AddressVirtualEndpoint> _logger;
    private readonly AddressLifetime _lifetime;
    private CancellationTokenSource? _announcing;
    private ITimer? _refreshing;
    private bool _listening;

    public AddressVirtualEndpoint(
        IVirtualEndpoint listeners,
        KeepAliveDrain drain,
        ListenBindObserver sockets,
        Func<ElectionSnapshot> election,
        VirtualAddress address,
        string interfaceName,
        AddressLifetime lifetime,
        TimeProvider time,
        ILogger<AddressVirtualEndpoint> logger)
    {
        _lifetime = lifetime;
        _listeners = listeners;
        _drain = drain;
        _sockets = sockets;
        _election = election;
        _address = address;
        _interface = interfaceName;
        _time = time;
        _logger = logger;

        // A process killed with -9 leaves the address on its interface, where the kernel keeps answering ARP for it:
        // remove it before this node could be a Backup that still owns it (keepalived does the same at start).
        try
        {
            if (NetlinkAddress.Remove(InterfaceIndex(), address.Address, address.PrefixLength))
            {
                Log.AddressChanged(_logger, "removed a leftover", _address.ToString(), _interface);
            }
        }
        catch (VirtualEndpointUnavailableException ex)
        {
            Log.Failed(_logger, ex.Message);
        }
    }

    /// <summary>
    /// Opens the public listeners at start: opened only on the first acquire, the bind was most of a takeover (2.8 s
    /// under load in the compose overlay); opened now, a Backup that takes over only moves the address.
    /// </summary>
    public Task PrepareAsync(CancellationToken cancellationToken) => OpenListenersAsync(cancellationToken);

    public async Task AcquireAsync(EndpointAcquisition how, CancellationToken cancellationToken)
    {
        var index = InterfaceIndex();

        // Normally open since the start; if that failed (and the node is Master anyway), open them before the address
        // is added: from then on this host's kernel answers ARP for it and refuses connections nobody listens for.
        await OpenListenersAsync(cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
        _sockets.DropNewConnections(false);
        _drain.Resume();
        NetlinkAddress.Refresh(index, _address.Address, _address.PrefixLength, _lifetime.Valid);
        KeepRefreshing(index);

        var mac = MacAddress();
        _announcing?.Cancel();
        _announcing = new CancellationTokenSource();
        if (how == EndpointAcquisition.Handover)
        {
            // The outgoing Master is alive and still has connections: the neighbours switch only once it has let go
            // (see ReleaseAsync), so no connection of its is cut by a reset from this host.
            Log.AddressChanged(_logger, "added (handover), announced once the outgoing holder lets go", _address.ToString(), _interface);
            _ = AnnounceWhenReleasedAsync(index, mac, _announcing.Token);
            return;
        }

        GratuitousArp.Send(index, mac, _address.Address);
        Log.AddressChanged(_logger, $"added ({how.ToString().ToLowerInvariant()}) and announced", _address.ToString(), _interface);
        _ = RepeatAnnouncementsAsync(index, mac, _announcing.Token);
    }

    /// <summary>
    /// Ends keep-alive and waits for the open connections to close (<see cref="KeepAliveDrain"/>) before this node says
    /// it leaves: afterwards every client has at most a one-request connection open here when the address moves.
    /// </summary>
    public async Task DrainAsync(CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var (open, left) = await _drain.DrainAsync(DrainTimeout, _time, everyConnection: false, cancellationToken);
        Log.Drained(_logger, open, left, _time.GetElapsedTime(started).TotalMilliseconds);
    }

    /// <summary>
    /// In a handover (the new Master has added the address and waits to announce it until this node lets go): new SYNs
    /// are dropped silently from now on (their clients retry them after 1 s, by then at the new Master: a delay, never a
    /// reset), the connections still open here finish their one response and close, and only then the address goes;
    /// the election tells the new Master at once, which announces. Without this order a connection opened here just
    /// before the neighbours switched sent its request to the new Master, which reset it.
    /// </summary>
    public async Task ReleaseAsync(bool handover, CancellationToken cancellationToken)
    {
        StopRefreshing();
        _announcing?.Cancel();
        _announcing = null;
        if (handover)
        {
            var started = _time.GetTimestamp();
            _sockets.DropNewConnections(true);

            // Handshakes that reached this host just before complete and are accepted within a few milliseconds.
            await Task.Delay(TimeSpan.FromMilliseconds(10), _time, cancellationToken);
            var (open, left) = await _drain.DrainAsync(ReleaseDrainTimeout, _time, everyConnection: true, cancellationToken);
            Log.Drained(_logger, open, left, _time.GetElapsedTime(started).TotalMilliseconds);
        }

        NetlinkAddress.Remove(InterfaceIndex(), _address.Address, _address.PrefixLength);
        Log.AddressChanged(_logger, handover ? "removed (handover)" : "removed", _address.ToString(), _interface);
    }

    /// <summary>
    /// A handover's announcement: once no peer says it holds the endpoint (the outgoing one tells at once when it let
    /// go), or it has been silent for two of its intervals, or after <see cref="AnnounceWaitLimit"/>.
    /// </summary>
    private async Task AnnounceWhenReleasedAsync(int index, PhysicalAddress mac, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        try
        {
            while (PeerHolds() && _time.GetElapsedTime(started) < AnnounceWaitLimit)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(1), _time, cancellationToken);
            }

            GratuitousArp.Send(index, mac, _address.Address);
            Log.Announced(_logger, _address.ToString(), _time.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        catch (VirtualEndpointUnavailableException ex)
        {
            Log.Failed(_logger, ex.Message);
        }

        await RepeatAnnouncementsAsync(index, mac, cancellationToken);
    }

    /// <summary>
    /// While this node holds the address, its lifetime is set again every <see cref="AddressLifetime.RefreshPeriod"/>
    /// on a timer thread of its own (a busy thread pool must not make the kernel take the address away); a process
    /// that is frozen, hung or starved for longer than the lifetime loses it (<see cref="AddressLifetime"/>).
    /// </summary>
    private void KeepRefreshing(int index)
    {
        StopRefreshing();
        _refreshing = _lifetime.Timers.CreateTimer(_ => Refresh(index), null, _lifetime.RefreshPeriod, _lifetime.RefreshPeriod);
    }

    private void StopRefreshing()
    {
        _refreshing?.Dispose();
        _refreshing = null;
    }

    private void Refresh(int index)
    {
        try
        {
            NetlinkAddress.Refresh(index, _address.Address, _address.PrefixLength, _lifetime.Valid);
        }
        catch (VirtualEndpointUnavailableException ex)
        {
            // The next refresh tries again; until then the address runs out at worst, as for a hung holder.
            Log.Failed(_logger, ex.Message);
        }
    }

    private bool PeerHolds()
    {
        var election = _election();
        var now = _time.GetUtcNow();
        return election.Peers.Any(p => p.HoldsEndpoint && now - p.HeardAt < 2 * p.AdvertisementInterval);
    }

    /// <summary>
    /// Once: the listeners bind the address before this host has it (IP_FREEBIND) and stay open. Exclusive: two nodes in
    /// one network namespace (a misconfiguration in this mode) are refused rather than sharing the port.
    /// </summary>
    private async Task OpenListenersAsync(CancellationToken cancellationToken)
    {
        if (!_listening)
        {
            await _listeners.AcquireAsync(EndpointAcquisition.Exclusive, cancellationToken);
            _listening = true;
        }
    }

    private async Task RepeatAnnouncementsAsync(int index, PhysicalAddress mac, CancellationToken cancellationToken)
    {
        try
        {
            var previous = TimeSpan.Zero;
            foreach (var at in Announcements.Skip(1))
            {
                await Task.Delay(at - previous, _time, cancellationToken);
                previous = at;
                GratuitousArp.Send(index, mac, _address.Address);
            }
        }
        catch (OperationCanceledException)
        {
            // Released meanwhile.
        }
        catch (VirtualEndpointUnavailableException ex)
        {
            Log.Failed(_logger, ex.Message);
        }
    }

    private int InterfaceIndex()
    {
        var index = LinuxNative.InterfaceIndex(_interface);
        return index == 0
            ? throw new VirtualEndpointUnavailableException($"Election:Interface '{_interface}': {LinuxNative.LastError()}")
            : (int)index;
    }

    private PhysicalAddress MacAddress() =>
        NetworkInterface.GetAllNetworkInterfaces().FirstOrDefault(n => n.Name == _interface)?.GetPhysicalAddress()
        ?? throw new VirtualEndpointUnavailableException($"Election:Interface '{_interface}' not found");
}
