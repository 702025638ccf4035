using System.Net.Sockets;
using Yarp.ReverseProxy.Forwarder;

namespace Foobar.Proxy;

/// <summary>
/// Whether a forwarding error means the request never reached the destination: the connection was refused, the
/// network had no route, or connecting timed out (an address that has gone from the network answers nothing at all;
/// SocketsHttpHandler's ConnectTimeout then surfaces as a cancellation with a TimeoutException inside, which YARP
/// reports as RequestTimedOut). Such a request may go to another destination whatever its method, and it counts
/// against the destination's health. YARP calls HttpMessageInvoker without HttpClient.Timeout, so a TimeoutException
/// in the chain can only be the connect timeout; its own activity timeout cancels without one.
/// </summary>
internal static class ConnectFailure
{
    public static bool Is(IForwarderErrorFeature error) =>
        error.Error is ForwarderError.Request or ForwarderError.RequestTimedOut && InChain(error.Exception);

    private static bool InChain(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError }
                or SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.HostUnreachable or SocketError.NetworkUnreachable or SocketError.TimedOut }
                or TimeoutException)
            {
                return true;
            }
        }

        return false;
    }
}
