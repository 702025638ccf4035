using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text;
using Foobar.LoadBalancer.Election.Address;
using Foobar.LoadBalancer.Election.Protocol;
using Foobar.LoadBalancer.Election.Transport;
using Microsoft.Extensions.Logging;

namespace Foobar.LoadBalancer.Election.Vrrp;

/// <summary>
/// RFC 5798 VRRPv3 on <see cref="ElectionOptions.Interface"/>: IP protocol 112 to 224.0.0.18 with TTL 255, sent only
/// while this node is Master (a VRRP Backup is silent), with the virtual address and the interval in centiseconds.
/// What arrives from another router (TTL 255, version 3, intact checksum, this group's router ID) becomes an
/// <see cref="Advertisement"/> from the node <c>vrrp:&lt;its address&gt;</c>, a Master that holds the address (VRRP has
/// no fencing term and no "holds" flag: a Master owns the address by definition). .NET refuses raw sockets for
/// protocol 112, so the sockets are made through libc and handed to <see cref="Socket"/>: one bound to this
/// interface's own address to send (the source address the checksum covers), one bound to the interface and joined to
/// the group to receive (a raw socket bound to a unicast address receives nothing sent to a group). Needs CAP_NET_RAW.
/// </summary>
internal sealed partial class VrrpTransport : IDisposable
{
    private const int SolSocket = 1;
    private const int SoBindToDevice = 25;

    private readonly ElectionOptions _options;
    private readonly VirtualAddress _address;
    private readonly ILogger _logger;
    private readonly Dictionary<string, long> _dropped = new(StringComparer.Ordinal);
    private Socket? _sender;
    private Socket? _receiver;
    private IPAddress? _source;
    private string? _lastSendError;

    public VrrpTransport(ElectionOptions options, ILogger logger)
    {
        _options = options;
        _address = VirtualAddress.TryParse(options.VirtualAddress, out var address)
            ? address
            : throw new InvalidOperationException($"{ElectionOptions.Section}:VirtualAddress is not an IPv4 address with a prefix");
        _logger = logger;
    }

    /// <summary>Dropped VRRP packets by reason, as <c>vrrp_*</c> tags beside the UDP transport's.</summary>
    public IReadOnlyDictionary<string, long> DroppedPackets
    {
        get
        {
            lock (_dropped)
            {
                return _dropped.ToDictionary(d => $"vrrp_{d.Key}", d => d.Value);
            }
        }
    }

    /// <summary>Opens both sockets on the interface; a missing interface or capability throws, naming it.</summary>
    public void Open()
    {
        var name = _options.Interface!;
        var index = (int)LinuxNative.InterfaceIndex(name);
        if (index == 0)
        {
            throw new InvalidOperationException($"{ElectionOptions.Section}:Interface: no interface '{name}' for VRRP ({LinuxNative.LastError()})");
        }

        _source = NetworkInterface.GetAllNetworkInterfaces().FirstOrDefault(n => n.Name == name)?
            .GetIPProperties().UnicastAddresses.Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !a.Equals(_address.Address))
            ?? throw new InvalidOperationException($"{ElectionOptions.Section}:Interface: '{name}' has no IPv4 address of its own to send VRRP from");

        _sender = RawSocket();
        _sender.Bind(new IPEndPoint(_source, 0));
        _sender.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastTimeToLive, 255);
        _sender.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastInterface, IPAddress.HostToNetworkOrder(index));
        _sender.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastLoopback, false);

        _receiver = RawSocket();
        _receiver.SetRawSocketOption(SolSocket, SoBindToDevice, Encoding.ASCII.GetBytes(name + "\0"));
        _receiver.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.AddMembership, new MulticastOption(VrrpPacket.Group, index));
        Log.Opened(_logger, name, _source.ToString(), _options.GroupId, _address.Address.ToString());
    }

    /// <summary>Receives until stopped, giving every accepted advertisement to <paramref name="accepted"/>.</summary>
    public Task RunAsync(Action<Advertisement> accepted, CancellationToken cancellationToken) =>
        Task.Factory.StartNew(() => ReceiveLoopAsync(accepted, cancellationToken), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();

    /// <summary>Advertises as Master (priority 0: leaving); a Backup sends nothing (RFC 5798 6.4.2).</summary>
    public void Send(byte priority, VrrpState state)
    {
        if (state != VrrpState.Master || _sender is not { } sender || _source is null)
        {
            return;
        }

        var packet = new VrrpPacket((byte)_options.GroupId, priority, _options.AdvertisementInterval, [_address.Address]).Encode(_source, VrrpPacket.Group);
        try
        {
            sender.SendTo(packet, new IPEndPoint(VrrpPacket.Group, 0));
            _lastSendError = null;
        }
        catch (ObjectDisposedException)
        {
            // Stopping.
        }
        catch (SocketException ex) when (_lastSendError != ex.Message)
        {
            _lastSendError = ex.Message;
            Log.SendFailed(_logger, ex.Message);
        }
        catch (SocketException)
        {
            // Logged once already.
        }
    }

    public void Dispose()
    {
        _sender?.Dispose();
        _receiver?.Dispose();
    }

    private static Socket RawSocket()
    {
        var fd = LinuxNative.Socket(2 /* AF_INET */, LinuxNative.SockRaw | LinuxNative.SockCloexec, VrrpPacket.Protocol);
        return fd >= 0
            ? new Socket(new SafeSocketHandle(fd, ownsHandle: true))
            : throw new InvalidOperationException($"{ElectionOptions.Section}:Vrrp:Enabled: a raw socket for IP protocol 112 needs CAP_NET_RAW: {LinuxNative.LastError()}");
    }

    private async Task ReceiveLoopAsync(Action<Advertisement> accepted, CancellationToken cancellationToken)
    {
        var buffer = new byte[2048];
        while (!cancellationToken.IsCancellationRequested)
        {
            int length;
            try
            {
                length = await _receiver!.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }

            if (TryAccept(buffer.AsSpan(0, length), out var advertisement, out var reason))
            {
                accepted(advertisement!);
            }
            else if (reason is not null)
            {
                lock (_dropped)
                {
                    _dropped[reason] = _dropped.GetValueOrDefault(reason) + 1;
                }
            }
        }
    }

    /// <summary>An IPv4 datagram as a raw socket delivers it, header included (RFC 5798 7.1's checks).</summary>
    private bool TryAccept(ReadOnlySpan<byte> datagram, out Advertisement? advertisement, out string? reason)
    {
        advertisement = null;
        var headerLength = datagram.Length > 0 ? (datagram[0] & 0x0f) * 4 : 0;
        if (datagram.Length < 20 || datagram[0] >> 4 != 4 || headerLength < 20 || datagram.Length < headerLength || datagram[9] != VrrpPacket.Protocol)
        {
            reason = "malformed";
            return false;
        }

        var source = new IPAddress(datagram.Slice(12, 4));
        var destination = new IPAddress(datagram.Slice(16, 4));
        if (source.Equals(_source))
        {
            reason = null; // our own, looped back by another socket on this host: not a drop worth counting
            return false;
        }

        if (datagram[8] != 255)
        {
            // Sent from beyond this link (RFC 5798 7.1: MUST be discarded).
            reason = "bad_ttl";
            return false;
        }

        var packet = VrrpPacket.TryDecode(datagram[headerLength..], source, destination, out reason);
        if (packet is null)
        {
            return false;
        }

        if (packet.RouterId != _options.GroupId)
        {
            // Another virtual router on the same link: normal, not an error.
            reason = "wrong_group";
            return false;
        }

        advertisement = new Advertisement(
            packet.RouterId,
            $"vrrp:{source}",
            packet.Priority,
            packet.Interval,
            VrrpState.Master,
            Epoch: 0,
            Sequence: 0,
            ConfiguredPriority: packet.Priority,
            HoldsEndpoint: packet.Priority > 0,
            Term: 0,
            Vrrp: true);
        return true;
    }
}
