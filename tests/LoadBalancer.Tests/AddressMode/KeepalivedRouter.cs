using System.Globalization;
using Foobar.Launcher.Processes;

namespace Foobar.LoadBalancer.Tests.AddressMode;

/// <summary>
/// keepalived from Debian in a lab namespace, as a VRRPv3 router for the same virtual IP: <c>vrrp_version 3</c>, the
/// load balancers' router ID and interval, no authentication (VRRPv3 has none). Its log is kept for the assertions.
/// </summary>
internal sealed class KeepalivedRouter : IAsyncDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"foobar-keepalived-{Guid.NewGuid():N}");
    private readonly string _namespace;
    private ChildProcess? _process;

    public KeepalivedRouter(string ns, int routerId, int priority, TimeSpan interval, string virtualAddress)
    {
        _namespace = ns;
        Directory.CreateDirectory(_directory);
        File.WriteAllText(ConfigFile, string.Create(CultureInfo.InvariantCulture, $$"""
            global_defs {
                router_id {{ns}}
                vrrp_version 3
            }
            vrrp_instance foobar {
                state BACKUP
                interface eth0
                virtual_router_id {{routerId}}
                priority {{priority}}
                advert_int {{interval.TotalSeconds:0.00}}
                virtual_ipaddress {
                    {{virtualAddress}} dev eth0
                }
            }
            """));
    }

    private string ConfigFile => Path.Combine(_directory, "keepalived.conf");

    public void Start() => _process = ChildProcess.Start("ip", [
        "netns", "exec", _namespace, "keepalived", "--dont-fork", "--log-console", "--log-detail", "--vrrp",
        "--use-file", ConfigFile, "--pid", Path.Combine(_directory, "keepalived.pid"), "--vrrp_pid", Path.Combine(_directory, "vrrp.pid")]);

    public bool HasExited => _process?.HasExited ?? true;

    /// <summary>kill -9: the address stays on its interface, as after a crash.</summary>
    public void Kill() => _process?.Kill();

    public string Logs() => _process is null ? "" : string.Join("\n", _process.LastLines(60));

    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }
}
