using Microsoft.Playwright;

namespace Foobar.TestSupport;

/// <summary>Debian's Chromium as every browser test starts it: headless, sandbox off (root), and quiet offline.</summary>
public static class Chromium
{
    /// <param name="playwright">The Playwright driver.</param>
    /// <param name="foobarPort">When set, www.foobar.com and foobar.com resolve to 127.0.0.1 at this port, so the site is
    /// browsed by name as a user would after the hosts-file line, without touching /etc/hosts.</param>
    public static Task<IBrowser> LaunchAsync(IPlaywright playwright, int? foobarPort = null) =>
        playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args =
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                // Without these Chromium keeps dialling Google services on a machine with no network.
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                .. foobarPort is { } port ? [$"--host-resolver-rules=MAP www.foobar.com 127.0.0.1:{port}, MAP foobar.com 127.0.0.1:{port}"] : Array.Empty<string>(),
            ],
        });
}
