using System.Globalization;
using Foobar.Launcher.Processes;

namespace Foobar.Launcher.Stack;

/// <summary>A node of the stack and its current process, if any.</summary>
internal sealed class RunningNode(NodeSpec spec)
{
    public NodeSpec Spec { get; } = spec;

    public ChildProcess? Process { get; set; }

    public NodeState State { get; set; } = NodeState.Stopped;

    /// <summary>The exit code when <see cref="State"/> is <see cref="NodeState.Exited"/>.</summary>
    public int? ExitCode { get; set; }

    /// <summary>The state as stack.json and the table show it: <c>running</c>, <c>exited (137)</c>.</summary>
    public string StateText => Describe(State, ExitCode);

    /// <summary>Set while we stop or kill it on purpose, so the exit is not reported as a crash.</summary>
    public bool ExitExpected { get; set; }

    public int? Pid => Process is { HasExited: false } process ? process.Pid : null;

    public static string Describe(NodeState state, int? exitCode = null) =>
        state == NodeState.Exited
            ? string.Create(CultureInfo.InvariantCulture, $"exited ({exitCode})")
            : state.ToString().ToLowerInvariant();
}
