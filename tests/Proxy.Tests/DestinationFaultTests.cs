using Foobar.Proxy.Health;
using Yarp.ReverseProxy.Forwarder;

namespace Foobar.Proxy.Tests;

public sealed class DestinationFaultTests
{
    [Theory]
    [InlineData(ForwarderError.Request)]
    [InlineData(ForwarderError.ResponseBodyDestination)]
    public void IsDestinationFailure_DestinationBroke_Counts(ForwarderError error) =>
        Assert.True(DestinationFault.IsDestinationFailure(ForwarderErrorFeatures.Get(error)));

    [Theory]
    [InlineData(ForwarderError.RequestBodyClient)]
    [InlineData(ForwarderError.RequestBodyDestination)]
    [InlineData(ForwarderError.RequestBodyCanceled)]
    [InlineData(ForwarderError.RequestCanceled)]
    [InlineData(ForwarderError.ResponseBodyClient)]
    [InlineData(ForwarderError.ResponseBodyCanceled)]
    [InlineData(ForwarderError.RequestTimedOut)]
    [InlineData(ForwarderError.NoAvailableDestinations)]
    public void IsDestinationFailure_ClientSideOrAmbiguous_DoesNotCount(ForwarderError error) =>
        Assert.False(DestinationFault.IsDestinationFailure(ForwarderErrorFeatures.Get(error)));

    [Fact]
    public void IsDestinationFailure_NoError_DoesNotCount() =>
        Assert.False(DestinationFault.IsDestinationFailure(ForwarderErrorFeatures.Get(null)));

    [Fact]
    public void IsDestinationFailure_ResetDuringUpload_DoesNotCount() =>
        Assert.False(DestinationFault.IsDestinationFailure(ForwarderErrorFeatures.Post(
            ForwarderError.Request, new HttpRequestException(HttpRequestError.Unknown, "Error while copying content to a stream.", new IOException("Connection reset by peer")))));

    [Fact]
    public void IsDestinationFailure_ConnectRefusedWithABody_Counts() =>
        Assert.True(DestinationFault.IsDestinationFailure(ForwarderErrorFeatures.Post(
            ForwarderError.Request, new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused (127.0.0.1:9)"))));

    [Fact]
    public void IsDestinationFailure_ClientAborted_DoesNotCount()
    {
        var context = ForwarderErrorFeatures.Get(ForwarderError.Request);
        using var aborted = new CancellationTokenSource();
        aborted.Cancel();
        context.RequestAborted = aborted.Token;

        Assert.False(DestinationFault.IsDestinationFailure(context));
    }
}
