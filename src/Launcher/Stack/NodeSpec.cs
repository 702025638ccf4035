using Foobar.ServiceDefaults;

namespace Foobar.Launcher.Stack;

/// <summary>How to start one node: which service, on which ports, with which settings.</summary>
internal sealed record NodeSpec(
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

    /// <summary>The environment the node's process starts with: its settings, and its URLs unless it is a load balancer.</summary>
    public ServiceEnvironment Environment()
    {
        var environment = new ServiceEnvironment(Name).Set(Settings);
        if (Role != NodeRole.Lb)
        {
            // The load balancer listens where its Public and Admin settings say; the others on their node URLs.
            environment.Listen(Urls);
        }

        if (Role is NodeRole.Web or NodeRole.Lb)
        {
            environment.InlineSocketCompletions();
        }

        return environment;
    }
}
