using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;

namespace Foobar.TestSupport;

/// <summary>
/// The Docker engine the tests use, found the way the docker CLI and Testcontainers find it: <c>DOCKER_HOST</c> when
/// set (e.g. unix:///run/docker-dev.sock), else the default socket /var/run/docker.sock.
/// </summary>
public static class DockerEngine
{
    public const string DefaultSocket = "/var/run/docker.sock";

    /// <summary>The engine's address as DOCKER_HOST spells it.</summary>
    public static string Host => Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } host ? host : $"unix://{DefaultSocket}";

    /// <summary>True when the engine accepts a connection on its socket (a TCP DOCKER_HOST is taken on trust).</summary>
    public static async Task<bool> AnswersAsync()
    {
        if (!Host.StartsWith("unix://", StringComparison.Ordinal))
        {
            return true;
        }

        var socketPath = Host["unix://".Length..];
        if (!File.Exists(socketPath))
        {
            return false;
        }

        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath)).WaitAsync(TimeSpan.FromSeconds(2));
            return true;
        }
        catch (Exception ex) when (ex is SocketException or TimeoutException)
        {
            return false;
        }
    }

    /// <summary>
    /// Prepares this process for Testcontainers on this engine, before its settings are first read: no Ryuk (its image
    /// cannot be pulled where no registry answers; the fixtures remove their containers, and .ci/run removes what a
    /// crashed run left, by label), and the engine's own API version when it is older than the 1.44 that
    /// Testcontainers 4 asks for by default (Debian's dockerd 20.10 answers only up to 1.41).
    /// </summary>
    public static async Task PrepareForTestcontainersAsync()
    {
        Environment.SetEnvironmentVariable("TESTCONTAINERS_RYUK_DISABLED", "true");
        if (Environment.GetEnvironmentVariable("DOCKER_API_VERSION") is { Length: > 0 } || !Host.StartsWith("unix://", StringComparison.Ordinal))
        {
            return;
        }

        var socketPath = Host["unix://".Length..];
        using var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancel) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancel);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) };
        // An unversioned /version answers on every engine, with the highest API version it speaks.
        var version = await client.GetFromJsonAsync<JsonElement>("http://docker/version");
        var apiVersion = Version.Parse(version.GetProperty("ApiVersion").GetString()!);
        if (apiVersion < new Version(1, 44))
        {
            Environment.SetEnvironmentVariable("DOCKER_API_VERSION", apiVersion.ToString());
        }
    }

    /// <summary>The environment for a docker or compose command: the engine's address, nothing else changed.</summary>
    public static Dictionary<string, string?> CommandEnvironment() => new() { ["DOCKER_HOST"] = Host };
}
