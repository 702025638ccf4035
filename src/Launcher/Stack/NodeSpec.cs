namespace Foobar.Launcher.Stack;

/// <summary>How to start one node: which service, on which ports, with which settings.</summary>
public sealed record NodeSpec(
    string Name,
    NodeRole Role,
    string Project,
    IReadOnlyList<string> Urls,
    string ReadyUrl,
    IReadOnlyDictionary<string, string> Settings)
{
    public string? AdminUrl { get; init; }

    /// <summary>Ports this node binds by itself (checked free before start). The shared public endpoint is checked once.</summary>
    public IReadOnlyList<int> Ports { get; init; } = [];
}
