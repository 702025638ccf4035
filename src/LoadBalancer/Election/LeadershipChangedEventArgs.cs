using Foobar.LoadBalancer.Election.Protocol;

namespace Foobar.LoadBalancer.Election;

internal sealed class LeadershipChangedEventArgs(VrrpTransition transition) : EventArgs
{
    public VrrpTransition Transition { get; } = transition;

    public bool IsLeader => Transition.To == VrrpState.Master;
}
