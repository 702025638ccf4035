using Foobar.ServiceDefaults;

namespace Foobar.ServiceDefaults.Tests;

public sealed class KestrelUrlTests
{
    [Theory]
    [InlineData("http://*:8080", "0.0.0.0", 8080)]
    [InlineData("http://+:9101", "0.0.0.0", 9101)]
    [InlineData("http://127.0.0.1:5101", "127.0.0.1", 5101)]
    [InlineData("https://localhost", "localhost", 443)]
    public void TryParse_KestrelSpellings_ReadAsUris(string url, string host, int port)
    {
        Assert.True(KestrelUrl.TryParse(url, out var uri));

        Assert.Equal(host, uri.Host);
        Assert.Equal(port, uri.Port);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not a url")]
    public void TryParse_NoUrl_False(string? url) => Assert.False(KestrelUrl.TryParse(url, out _));

    [Theory]
    [InlineData("http://127.0.0.1:80", true)]
    [InlineData("http://*:8080", true)]
    [InlineData("http://localhost", false)]
    public void HasExplicitPort_PortWrittenOrNot(string url, bool expected) => Assert.Equal(expected, KestrelUrl.HasExplicitPort(url));
}
