using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Foobar.LoadBalancer.Tests.Support;
using Foobar.TestSupport;

namespace Foobar.LoadBalancer.Tests.Limits;

/// <summary>Kestrel limits on the public listener (the fixture sets 8 KiB of headers, 4 KiB of body, a 2 s header timeout).</summary>
[Collection(LoadBalancerCollection.Name)]
public sealed class LimitsTests(LoadBalancerFixture fixture)
{
    private static readonly HttpClient Client = new() { Timeout = TimeSpan.FromSeconds(5) };

    [Fact]
    public async Task Get_OversizedHeader_RequestHeaderFieldsTooLarge431()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, fixture.Balancer.PublicUrl);
        request.Headers.Add("X-Big", new string('a', LoadBalancerFixture.MaxHeaderBytes + 1));

        using var response = await Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task Post_OversizedBody_ContentTooLarge413()
    {
        var before = fixture.First.Requests + fixture.Second.Requests;
        using var content = new ByteArrayContent(new byte[LoadBalancerFixture.MaxBodyBytes + 1]);

        using var response = await Client.PostAsync(new Uri(fixture.Balancer.PublicUrl, "/upload"), content);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(before, fixture.First.Requests + fixture.Second.Requests);
    }

    [Fact]
    public async Task Post_OversizedChunkedBody_ContentTooLarge413()
    {
        using var content = new StreamContent(new MemoryStream(new byte[LoadBalancerFixture.MaxBodyBytes * 4]));
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(fixture.Balancer.PublicUrl, "/upload")) { Content = content };
        request.Headers.TransferEncodingChunked = true;

        using var response = await Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task Post_BodyWithinLimit_Forwarded()
    {
        using var content = new ByteArrayContent(new byte[LoadBalancerFixture.MaxBodyBytes - 1]);

        using var response = await Client.PostAsync(new Uri(fixture.Balancer.PublicUrl, "/upload"), content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal((LoadBalancerFixture.MaxBodyBytes - 1).ToString(System.Globalization.CultureInfo.InvariantCulture), await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Get_WhileSlowlorisTrickles_NormalRequestServedPromptlyAndSlowlorisCut()
    {
        // Slowloris: a request whose headers never end, one byte at a time, to hold a connection (and, on a
        // thread-per-connection server, a worker). Several of them, to be sure.
        var slow = new List<Socket>();
        for (var i = 0; i < 20; i++)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(IPAddress.Loopback, fixture.Balancer.HttpPort);
            await socket.SendAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: "));
            slow.Add(socket);
        }

        using var trickle = new CancellationTokenSource();
        var trickling = Task.Run(async () =>
        {
            while (!trickle.IsCancellationRequested)
            {
                foreach (var socket in slow)
                {
                    try
                    {
                        await socket.SendAsync("a"u8.ToArray());
                    }
                    catch (SocketException)
                    {
                        // Cut by the server: what we expect after the header timeout.
                    }
                }

                await Task.Delay(200);
            }
        });

        try
        {
            var watch = Stopwatch.StartNew();
            using var response = await Client.GetAsync(fixture.Balancer.PublicUrl);
            watch.Stop();
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1), $"a normal request took {watch.Elapsed} beside slowloris connections");

            // Kestrel's RequestHeadersTimeout (2 s here) ends them: a read returns the 408 or end of stream.
            var buffer = new byte[1024];
            using var cut = new CancellationTokenSource(TimeSpan.FromSeconds(6));
            var read = await slow[0].ReceiveAsync(buffer, SocketFlags.None, cut.Token);
            var answer = Encoding.ASCII.GetString(buffer, 0, read);
            Assert.True(read == 0 || answer.StartsWith("HTTP/1.1 408", StringComparison.Ordinal), $"unexpected answer to a slowloris: {answer}");
        }
        finally
        {
            await trickle.CancelAsync();
            await trickling;
            foreach (var socket in slow)
            {
                socket.Dispose();
            }
        }
    }

    /// <summary>
    /// The public listener's accept queue holds what <c>Limits:AcceptBacklog</c> says: with Kestrel's 512, one client
    /// opening 10 000 connections overflowed it and other clients' SYNs were dropped (a 1 s retransmit each).
    /// <c>ss</c> shows a listening socket's maximum queue as its Send-Q.
    /// </summary>
    [Fact]
    public async Task Listen_PublicPort_AcceptQueueAsConfigured()
    {
        var (exitCode, output) = await CommandLine.RunAsync("ss", ["-Hltn", $"sport = :{fixture.Balancer.HttpPort}"], Path.GetTempPath(), TimeSpan.FromSeconds(10));

        Assert.Equal(0, exitCode);
        var fields = output.Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
        Assert.True(fields.Length >= 3, $"no listening socket on {fixture.Balancer.HttpPort}: {output}");
        Assert.Equal(LoadBalancerFixture.AcceptBacklog.ToString(System.Globalization.CultureInfo.InvariantCulture), fields[2]);
    }
}
