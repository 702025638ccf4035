namespace Foobar.Launcher.Stack;

/// <summary>Where a node of the stack is in its life; <c>stack.json</c> shows it in lower case.</summary>
internal enum NodeState
{
    Stopped,
    Starting,
    Running,
    Stopping,

    /// <summary>Killed on purpose (SIGKILL at the prompt).</summary>
    Killed,

    /// <summary>Exited by itself; <see cref="RunningNode.ExitCode"/> says how.</summary>
    Exited,
}
