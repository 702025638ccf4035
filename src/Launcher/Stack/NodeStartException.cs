namespace Foobar.Launcher.Stack;

/// <summary>A node that did not come up, with the last lines it wrote, so the user sees why.</summary>
internal sealed class NodeStartException(string node, string reason, IReadOnlyList<string> lastLines)
    : Exception($"{node} failed to start: {reason}")
{
    public string Node { get; } = node;

    public IReadOnlyList<string> LastLines { get; } = lastLines;
}
