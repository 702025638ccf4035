namespace Foobar.Launcher.Stack;

public sealed record StackFileNode(string Name, string Role, int? Pid, IReadOnlyList<string> Urls, string? AdminUrl, string State);
