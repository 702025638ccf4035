namespace Foobar.Launcher.Postgres.Ha;

/// <summary>What the supervisor does about a service this second (<see cref="AutoFailoverService.Supervise"/>).</summary>
public enum SupervisorStep
{
    /// <summary>It runs, or it was stopped on purpose, or its restart is not due yet.</summary>
    None,

    /// <summary>It just died: it restarts after <see cref="AutoFailoverService.RestartDelay"/>.</summary>
    Scheduled,

    /// <summary>Its restart time has come.</summary>
    Due,
}
