using Foobar.Launcher.Processes;

namespace Foobar.Launcher.Stack;

/// <summary>A node of the stack and its current process, if any.</summary>
public sealed class RunningNode(NodeSpec spec)
{
    public NodeSpec Spec { get; } = spec;

    public ChildProcess? Process { get; set; }

    public string State { get; set; } = "stopped";

    /// <summary>Set while we stop or kill it on purpose, so the exit is not reported as a crash.</summary>
    public bool ExitExpected { get; set; }

    public int? Pid => Process is { HasExited: false } process ? process.Pid : null;
}
