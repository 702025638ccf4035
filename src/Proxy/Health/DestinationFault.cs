using Foobar.Proxy.Body;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;

namespace Foobar.Proxy.Health;

/// <summary>
/// Which forwarding errors are the destination's own fault, and so may count against its health. Anything a
/// client can cause (a body it never finished, a disconnect, an oversized or malformed request, a 4xx) must not:
/// otherwise any anonymous client can take healthy servers out of rotation (issue 10: four 1 MB POSTs marked both
/// app servers down for 10 s).
/// </summary>
internal static class DestinationFault
{
    public static bool IsDestinationFailure(HttpContext context)
    {
        if (context.Features.Get<IForwarderErrorFeature>() is not { } error || context.RequestAborted.IsCancellationRequested)
        {
            return false;
        }

        return error.Error switch
        {
            // Connect refused, or the connection reset before a response. With a request body the destination may
            // have closed on that body (too slow, too big: a 413 and then a reset for the unread rest, where the reset
            // can beat the 413 to us), so only a failure to connect counts then; that the whole body had left here
            // says nothing, the kernel's buffers took it. A dead server still fails every bodiless request and the
            // active probes.
            ForwarderError.Request => !RequestBody.IsPresent(context) || ConnectFailure.Is(error),
            // Connecting timed out: the address answers nothing (gone from the network). A slow response is not this.
            ForwarderError.RequestTimedOut => ConnectFailure.Is(error),
            // The destination's response broke off part way.
            ForwarderError.ResponseBodyDestination => true,
            // RequestBodyDestination is the destination no longer reading the upload: after it answered (a 413, say)
            // that is its right, and before it answered YARP itself calls it ambiguous. A dead server fails the next
            // connection anyway, which counts. Client-side errors (RequestBodyClient, *Canceled, ResponseBodyClient)
            // and timeouts (a slow server is not a dead one; the active probes judge it) never count.
            _ => false,
        };
    }
}
