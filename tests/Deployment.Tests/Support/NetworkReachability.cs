using k8s.Models;

namespace Foobar.Deployment.Tests.Support;

/// <summary>
/// What the manifests' NetworkPolicies allow between the workloads' pods, evaluated as the API defines it
/// (networking.k8s.io/v1): a pod selected by no policy of a direction is open in that direction; a selected pod
/// accepts only what some selecting policy's rule allows; a connection needs the source's egress and the
/// destination's ingress. Sources are workloads of the manifests or <see cref="Outside"/>, a client outside the
/// cluster, which only an ipBlock admits. Pod selectors without a namespace selector mean this namespace.
/// </summary>
internal sealed class NetworkReachability(KubernetesManifests manifests)
{
    public const string Outside = "(outside)";

    /// <summary>Whether <paramref name="source"/> (a workload name or <see cref="Outside"/>) may open TCP <paramref name="port"/> on <paramref name="destination"/>'s pods.</summary>
    public bool Allows(string source, string destination, int port)
    {
        var target = manifests.Workload(destination);
        var from = source == Outside ? null : manifests.Workload(source);
        return IngressAllows(target, from, port) && (from is null || EgressAllows(from, target, port));
    }

    private bool IngressAllows(Workload target, Workload? from, int port)
    {
        var policies = Selecting(target, "Ingress").ToList();
        return policies.Count == 0 || policies.Any(p => (p.Spec.Ingress ?? []).Any(rule =>
            PortMatches(rule.Ports, target, port) && PeerMatches(rule.FromProperty, from)));
    }

    private bool EgressAllows(Workload from, Workload target, int port)
    {
        var policies = Selecting(from, "Egress").ToList();
        return policies.Count == 0 || policies.Any(p => (p.Spec.Egress ?? []).Any(rule =>
            PortMatches(rule.Ports, target, port) && PeerMatches(rule.To, target)));
    }

    private IEnumerable<V1NetworkPolicy> Selecting(Workload workload, string direction) =>
        manifests.NetworkPolicies.Where(p => KubernetesManifests.Selects(p.Spec.PodSelector, workload.PodLabels) && PolicyTypes(p).Contains(direction));

    // policyTypes defaults to Ingress, plus Egress when the policy has egress rules.
    private static IReadOnlyList<string> PolicyTypes(V1NetworkPolicy policy) =>
        policy.Spec.PolicyTypes is { Count: > 0 } types ? [.. types] : policy.Spec.Egress is { Count: > 0 } ? ["Ingress", "Egress"] : ["Ingress"];

    /// <summary>No peers means every peer; a pod peer is a workload matched by pod selector in this namespace; an ipBlock admits the outside.</summary>
    private static bool PeerMatches(IList<V1NetworkPolicyPeer>? peers, Workload? other) =>
        peers is not { Count: > 0 } || peers.Any(peer =>
            other is null
                ? peer.IpBlock is not null
                : peer.IpBlock is null && peer.NamespaceSelector is null && peer.PodSelector is not null
                  && KubernetesManifests.Selects(peer.PodSelector, other.PodLabels));

    /// <summary>No ports means every port; a named port is the destination container's port of that name (TCP unless said).</summary>
    private static bool PortMatches(IList<V1NetworkPolicyPort>? ports, Workload destination, int port) =>
        ports is not { Count: > 0 } || ports.Any(p =>
            (p.Protocol ?? "TCP") == "TCP"
            && (p.Port is null
                || (int.TryParse(p.Port.Value, System.Globalization.CultureInfo.InvariantCulture, out var number) ? number == port : destination.Port(p.Port)?.ContainerPort == port)));
}
