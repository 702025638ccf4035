using Foobar.TestSupport;

namespace Foobar.LoadBalancer.Tests.Election;

/// <summary>Ports to tell two nodes about each other up front; see <see cref="FreePorts"/> for why not port 0.</summary>
internal static class FreePort
{
    public static int Udp() => FreePorts.NextUdp();

    public static int Tcp() => FreePorts.Next();
}
