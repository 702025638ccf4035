using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Foobar.LoadBalancer.Tests.AddressMode;

/// <summary>
/// Sockets that live in another network namespace, made from this test process: a short-lived thread joins the
/// namespace (<c>setns</c>, which affects only that thread), creates the socket and ends; the socket stays in the
/// namespace it was made in and is used from any thread. So the test's HTTP clients and its web server sit on the
/// namespaces' own networks without a process per request.
/// </summary>
internal static class NamespaceSocket
{
    private const int CloneNewNet = 0x40000000;

    public static Socket Create(string ns, AddressFamily family, SocketType type, ProtocolType protocol)
    {
        Socket? socket = null;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var handle = File.OpenHandle($"/run/netns/{ns}");
                if (SetNs((int)handle.DangerousGetHandle(), CloneNewNet) != 0)
                {
                    throw new InvalidOperationException($"setns {ns}: errno {Marshal.GetLastPInvokeError()}");
                }

                socket = new Socket(family, type, protocol);
            }
            catch (Exception ex)
            {
                failure = ex;
            }
        })
        { IsBackground = true, Name = $"netns {ns}" };
        thread.Start();
        thread.Join();
        return socket ?? throw new InvalidOperationException($"no socket in namespace {ns}", failure);
    }

    /// <summary>An HTTP client whose connections start in <paramref name="ns"/>; a new connection per request.</summary>
    public static HttpClient HttpClient(string ns, TimeSpan timeout, bool newConnectionPerRequest = true)
    {
        var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = newConnectionPerRequest ? TimeSpan.Zero : Timeout.InfiniteTimeSpan,
            ConnectTimeout = timeout,
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = Create(ns, AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    socket.NoDelay = true;
                    var address = IPAddress.Parse(context.DnsEndPoint.Host);
                    await socket.ConnectAsync(new IPEndPoint(address, context.DnsEndPoint.Port), cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        var client = new HttpClient(handler) { Timeout = timeout };
        client.DefaultRequestHeaders.ConnectionClose = newConnectionPerRequest;
        return client;
    }

    [DllImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static extern int SetNs(int fd, int nstype);
}
