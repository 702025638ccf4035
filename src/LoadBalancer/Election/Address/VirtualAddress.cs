using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Foobar.LoadBalancer.Election.Address;

/// <summary>An IPv4 address with its prefix length, e.g. <c>10.20.0.100/24</c> (<c>Election:VirtualAddress</c>).</summary>
internal sealed record VirtualAddress(IPAddress Address, int PrefixLength)
{
    public static bool TryParse([NotNullWhen(true)] string? value, [NotNullWhen(true)] out VirtualAddress? result)
    {
        result = null;
        var slash = value?.IndexOf('/', StringComparison.Ordinal) ?? -1;
        if (value is null || slash <= 0
            || !IPAddress.TryParse(value.AsSpan(0, slash), out var address) || address.AddressFamily != AddressFamily.InterNetwork
            || !int.TryParse(value.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var prefix) || prefix is < 1 or > 32)
        {
            return false;
        }

        result = new VirtualAddress(address, prefix);
        return true;
    }

    public override string ToString() => $"{Address}/{PrefixLength}";
}
