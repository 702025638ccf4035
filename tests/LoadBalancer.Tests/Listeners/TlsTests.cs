using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Foobar.LoadBalancer.Listeners;
using Foobar.LoadBalancer.Tests.Support;
using Foobar.TestSupport;
using Xunit.Abstractions;

namespace Foobar.LoadBalancer.Tests.Listeners;

public sealed class TlsTests(ITestOutputHelper output)
{
    private static readonly TimeSpan ServedLimit = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Https_GeneratedCertificate_NegotiatesHttp2AndIsReusedAfterRestart()
    {
        await using var backend = await NamedUpstream.StartAsync("backend-1");
        X509Certificate2? presented = null;
        using var client = new HttpClient(new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                // Trust exactly the certificate the load balancer stored, nothing else.
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    presented = new X509Certificate2(certificate!);
                    return true;
                },
            },
        })
        { Timeout = TimeSpan.FromSeconds(5) };

        string firstThumbprint;
        string tlsDirectory;
        await using (var balancer = await LoadBalancerProcess.StartAsync([backend.Url]))
        {
            tlsDirectory = balancer.TlsDirectory;
            using var response = await ServedAsync(client, () =>
            {
                var request = new HttpRequestMessage(HttpMethod.Get, balancer.HttpsUrl) { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
                request.Headers.Host = "www.foobar.com";
                return request;
            }, balancer);

            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{response.StatusCode}\n{balancer.Logs()}");
            Assert.Equal(HttpVersion.Version20, response.Version);
            using var stored = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(Path.Combine(tlsDirectory, CertificateStore.CertificateFile)));
            Assert.Equal(stored.Thumbprint, presented!.Thumbprint);
            Assert.True(presented.MatchesHostname("www.foobar.com"));
            Assert.True(presented.MatchesHostname("localhost"));
            firstThumbprint = presented.Thumbprint;
        }

        await using (var restarted = await LoadBalancerProcess.StartAsync([backend.Url], tlsDirectory: tlsDirectory))
        {
            using var response = await ServedAsync(client, () => new HttpRequestMessage(HttpMethod.Get, restarted.HttpsUrl), restarted);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{response.StatusCode}\n{restarted.Logs()}");
            Assert.Equal(firstThumbprint, presented!.Thumbprint);
        }

        Directory.Delete(tlsDirectory, recursive: true);
    }

    [Fact]
    public async Task Https_ConfiguredPemFiles_ServedInsteadOfGenerated()
    {
        await using var backend = await NamedUpstream.StartAsync("backend-1");
        var directory = Path.Combine(Path.GetTempPath(), $"foobar-lb-pem-{Guid.NewGuid():N}");
        var (certificatePath, keyPath) = CertificateStore.EnsureSelfSigned(directory, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        using var expected = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(certificatePath));
        string? seen = null;
        using var client = new HttpClient(new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, c, _, _) => (seen = c!.GetCertHashString()) is not null },
        })
        { Timeout = TimeSpan.FromSeconds(5) };

        await using var balancer = await LoadBalancerProcess.StartAsync(
            [backend.Url],
            new Dictionary<string, string?> { ["Tls:CertificatePath"] = certificatePath, ["Tls:KeyPath"] = keyPath });
        using var response = await ServedAsync(client, () => new HttpRequestMessage(HttpMethod.Get, balancer.HttpsUrl), balancer);

        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{response.StatusCode}\n{balancer.Logs()}");
        Assert.Equal(expected.Thumbprint, seen);
        Assert.False(Directory.Exists(balancer.TlsDirectory), "no certificate should be generated when PEM files are configured");
        Directory.Delete(directory, recursive: true);
    }

    /// <summary>
    /// The answer to the first request that is not a 503, asked again for up to <see cref="ServedLimit"/>. What these
    /// tests check is the certificate and the protocol, and in a full run of the assembly, 2 s in (every parallel test
    /// starting its processes on 2 cores), a fresh LB whose /status counted the backend available answered the first
    /// request 503; each 503 is written to the test's output with the LB's last lines, so a recurrence can be read.
    /// </summary>
    private async Task<HttpResponseMessage> ServedAsync(HttpClient client, Func<HttpRequestMessage> request, LoadBalancerProcess balancer)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            using var message = request();
            var response = await client.SendAsync(message);
            if (response.StatusCode != HttpStatusCode.ServiceUnavailable || watch.Elapsed > ServedLimit)
            {
                return response;
            }

            output.WriteLine($"503 after {watch.ElapsedMilliseconds} ms: {await response.Content.ReadAsStringAsync()}\n{balancer.Logs()}");
            response.Dispose();
            await Task.Delay(100);
        }
    }
}
