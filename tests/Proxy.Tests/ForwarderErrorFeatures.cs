using Yarp.ReverseProxy.Forwarder;

namespace Foobar.Proxy.Tests;

/// <summary>Contexts shaped the way YARP's forwarder leaves them after a failure, for the passive policy's unit tests.</summary>
internal static class ForwarderErrorFeatures
{
    public static DefaultHttpContext Get(ForwarderError? error)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = HttpMethods.Get;
        context.Features.Set<IHttpRequestBodyDetectionFeature>(new BodyDetection(false));
        if (error is { } e)
        {
            context.Features.Set<IForwarderErrorFeature>(new ErrorFeature(e, new HttpRequestException("test")));
        }

        return context;
    }

    /// <summary>A POST with a body whose forwarding failed with <paramref name="error"/>, caused by <paramref name="exception"/>.</summary>
    public static DefaultHttpContext Post(ForwarderError error, Exception exception)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = HttpMethods.Post;
        context.Request.ContentLength = 100;
        context.Features.Set<IHttpRequestBodyDetectionFeature>(new BodyDetection(true));
        context.Features.Set<IForwarderErrorFeature>(new ErrorFeature(error, exception));
        return context;
    }

    private sealed record ErrorFeature(ForwarderError Error, Exception? Exception) : IForwarderErrorFeature;

    private sealed record BodyDetection(bool CanHaveBody) : IHttpRequestBodyDetectionFeature;
}
