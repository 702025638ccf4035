namespace Foobar.ServiceDefaults;

/// <summary>
/// The separate listener for /metrics and /internal/*. Requests that arrive on any other port
/// never reach those paths, so nothing forwarded from the public side can read them.
/// </summary>
public sealed record ManagementOptions
{
    public const string Section = "Management";

    /// <summary>Absolute http URL such as <c>http://127.0.0.1:9301</c>; empty to serve management paths on the main listener.</summary>
    [AbsoluteHttpUrl]
    public string? Url { get; init; }

    public int? Port => KestrelUrl.TryParse(Url, out var uri) ? uri.Port : null;
}
