using System.Net;
using Foobar.LoadBalancer.Election.Transport;
using Microsoft.Extensions.Options;

namespace Foobar.LoadBalancer.Election;

/// <summary>
/// The rules data annotations cannot say. Every failure names its key (<c>Election:Key: ...</c>) so the one-line
/// refusal at start-up tells the operator what to fix.
/// </summary>
internal sealed class ElectionOptionsValidator : IValidateOptions<ElectionOptions>
{
    public ValidateOptionsResult Validate(string? name, ElectionOptions options)
    {
        if (!options.Enabled)
        {
            return ValidateOptionsResult.Success;
        }

        var failures = new List<string>();
        var key = options.GetKeyBytes();
        if (string.IsNullOrEmpty(options.Key))
        {
            failures.Add($"{ElectionOptions.Section}:Key: is required (the shared HMAC key, at least {ElectionOptions.MinKeyBytes} bytes of text or base64:...)");
        }
        else if (key is null)
        {
            failures.Add($"{ElectionOptions.Section}:Key: is not valid base64 after '{ElectionOptions.Base64Prefix}'");
        }
        else if (key.Length < ElectionOptions.MinKeyBytes)
        {
            failures.Add($"{ElectionOptions.Section}:Key: must be at least {ElectionOptions.MinKeyBytes} bytes, got {key.Length}");
        }

        if (options.NodeName is null || !AdvertisementCodec.IsValidName(options.NodeName))
        {
            failures.Add($"{ElectionOptions.Section}:NodeName: must be 1-63 ASCII letters, digits, '.', '_' or '-' (defaults to Node:Name)");
        }

        if (!IPEndPoint.TryParse(options.Bind ?? "", out var bind) || (bind.Port == 0 && options.Bind?.EndsWith(":0", StringComparison.Ordinal) != true))
        {
            failures.Add($"{ElectionOptions.Section}:Bind: must be ip:port, e.g. 127.0.0.1:9201");
        }

        for (var i = 0; i < options.Peers.Count; i++)
        {
            if (!TryParsePeer(options.Peers[i], out _, out _))
            {
                failures.Add($"{ElectionOptions.Section}:Peers:{i}: must be host:port, got '{options.Peers[i]}'");
            }
        }

        if (options.Mode == ElectionOptions.AddressMode)
        {
            if (!Address.VirtualAddress.TryParse(options.VirtualAddress, out _))
            {
                failures.Add($"{ElectionOptions.Section}:VirtualAddress: address mode needs an IPv4 address with its prefix length, e.g. 10.20.0.100/24, got '{options.VirtualAddress}'");
            }

            if (string.IsNullOrWhiteSpace(options.Interface) || options.Interface.Length > 15)
            {
                failures.Add($"{ElectionOptions.Section}:Interface: address mode needs the interface for the virtual address, e.g. eth0, got '{options.Interface}'");
            }

            if (!OperatingSystem.IsLinux())
            {
                failures.Add($"{ElectionOptions.Section}:Mode: 'address' needs Linux (netlink and packet sockets)");
            }
        }
        else if (options.Mode != ElectionOptions.ListenMode)
        {
            failures.Add($"{ElectionOptions.Section}:Mode: must be 'listen' or 'address', got '{options.Mode}'");
        }

        failures.AddRange(Witness.WitnessOptionsValidation.Validate(options));
        if (options.Vrrp.Enabled)
        {
            if (options.Mode != ElectionOptions.AddressMode)
            {
                failures.Add($"{ElectionOptions.Section}:Vrrp:Enabled: VRRPv3 moves an address between hosts; it needs {ElectionOptions.Section}:Mode 'address', got '{options.Mode}'");
            }

            var centiseconds = Vrrp.VrrpPacket.Centiseconds(options.AdvertisementInterval);
            if (centiseconds is < 1 or > 4095 || Math.Abs((centiseconds * 10) - options.AdvertisementInterval.TotalMilliseconds) > 0.001)
            {
                failures.Add($"{ElectionOptions.Section}:AdvertisementInterval: with {ElectionOptions.Section}:Vrrp:Enabled it must be whole centiseconds from 00:00:00.01 to 00:00:40.95 (VRRPv3's 12-bit field), got {options.AdvertisementInterval}");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>host:port or [v6]:port with a port of 1-65535.</summary>
    public static bool TryParsePeer(string? value, out string host, out int port)
    {
        host = "";
        port = 0;
        if (string.IsNullOrWhiteSpace(value))
        {
            return false;
        }

        if (IPEndPoint.TryParse(value, out var ip) && ip.Port > 0)
        {
            host = ip.Address.ToString();
            port = ip.Port;
            return true;
        }

        var colon = value.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(value.AsSpan(colon + 1), out port) || port is < 1 or > 65535)
        {
            return false;
        }

        host = value[..colon];
        return Uri.CheckHostName(host) is UriHostNameType.Dns or UriHostNameType.IPv4 or UriHostNameType.IPv6;
    }
}
