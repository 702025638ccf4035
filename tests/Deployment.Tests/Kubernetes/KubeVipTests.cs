using System.Net;
using System.Text.RegularExpressions;
using Foobar.Deployment.Tests.Support;
using k8s.Models;

namespace Foobar.Deployment.Tests.Kubernetes;

/// <summary>
/// deploy/k8s/kube-vip/kube-vip.yaml, the bare-metal half of the virtual endpoint (applied once per cluster, outside
/// the kustomization): parsed into typed objects like the stack's manifests, its RBAC wired to its pods, the Lease
/// election it relies on allowed, and its timing the one docs/orchestrators.md quotes.
/// </summary>
public sealed class KubeVipTests
{
    private static readonly string File = Path.Combine(KubernetesManifests.DefaultDirectory, "kube-vip", "kube-vip.yaml");
    private static readonly IReadOnlyList<object> Objects = KubernetesManifests.LoadFile(File);

    private static V1DaemonSet DaemonSet => Assert.Single(Objects.OfType<V1DaemonSet>());

    private static Dictionary<string, string?> Environment =>
        Assert.Single(DaemonSet.Spec.Template.Spec.Containers).Env.Where(e => e.Value is not null).ToDictionary(e => e.Name, e => (string?)e.Value);

    [Fact]
    public void DaemonSet_RunsAsItsServiceAccount_BoundToTheRoleThatGrantsLeasesAndServices()
    {
        var account = Assert.Single(Objects.OfType<V1ServiceAccount>());
        var role = Assert.Single(Objects.OfType<V1ClusterRole>());
        var binding = Assert.Single(Objects.OfType<V1ClusterRoleBinding>());

        Assert.True(KubernetesManifests.Selects(DaemonSet.Spec.Selector, DaemonSet.Spec.Template.Metadata.Labels), "the DaemonSet's selector does not select its pods");
        Assert.Equal(account.Metadata.Name, DaemonSet.Spec.Template.Spec.ServiceAccountName);
        Assert.Equal(account.Metadata.NamespaceProperty, DaemonSet.Metadata.NamespaceProperty);
        Assert.Equal(("ClusterRole", role.Metadata.Name), (binding.RoleRef.Kind, binding.RoleRef.Name));
        var subject = Assert.Single(binding.Subjects);
        Assert.Equal(("ServiceAccount", account.Metadata.Name, account.Metadata.NamespaceProperty), (subject.Kind, subject.Name, subject.NamespaceProperty));

        // The per-Service election takes and renews a Lease; the address is written to the Service's status; endpoints
        // say which nodes may hold it (externalTrafficPolicy Local).
        AssertGrants(role, "coordination.k8s.io", "leases", "get", "create", "update");
        AssertGrants(role, "", "services", "get", "list", "watch");
        AssertGrants(role, "", "services/status", "update");
        AssertGrants(role, "discovery.k8s.io", "endpointslices", "get", "list", "watch");
    }

    [Fact]
    public void Mode_ServicesWithOneElectionPerService_AnnouncedByArp_WithTheCapabilitiesItNeeds()
    {
        var pod = DaemonSet.Spec.Template.Spec;

        Assert.Equal("true", Environment["svc_enable"]);
        Assert.Equal("true", Environment["svc_election"]);
        Assert.Equal("true", Environment["vip_arp"]);
        Assert.False(string.IsNullOrWhiteSpace(Environment["vip_interface"]));
        Assert.True(pod.HostNetwork, "kube-vip must put the address on the node's own interface");
        Assert.Equal(["NET_ADMIN", "NET_RAW"], Assert.Single(pod.Containers).SecurityContext.Capabilities.Add.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void LeaseTiming_IsConsistent_AndIsTheFigureTheDocsQuote()
    {
        int Seconds(string name) => int.Parse(Environment[name]!, System.Globalization.CultureInfo.InvariantCulture);
        var (duration, renew, retry) = (Seconds("vip_leaseduration"), Seconds("vip_renewdeadline"), Seconds("vip_retryperiod"));

        // client-go's leader election refuses a renew deadline not below the lease duration, or a retry period not
        // below the renew deadline.
        Assert.True(retry < renew && renew < duration, $"retry {retry} s < renew deadline {renew} s < lease {duration} s");
        var worst = duration + retry;
        Assert.Contains($"vip_leaseduration + vip_retryperiod = {worst} s", System.IO.File.ReadAllText(File), StringComparison.Ordinal);
        var docs = System.IO.File.ReadAllText(Path.Combine(Foobar.TestSupport.RepoPaths.Root, "docs", "orchestrators.md"));
        Assert.Matches(new Regex($@"lease {duration} s \+ retry {retry} s"), docs);
    }

    [Fact]
    public void StacksService_IsALoadBalancerKeptOnNodesWithAReadyLb_WithAnAddressForKubeVip()
    {
        var service = KubernetesManifests.Load().Services.Single(s => s.Spec.Type == "LoadBalancer");

        Assert.Equal("Local", service.Spec.ExternalTrafficPolicy);
        Assert.True(IPAddress.TryParse(service.Metadata.Annotations["kube-vip.io/loadbalancerIPs"], out _), "kube-vip.io/loadbalancerIPs is not an address");
    }

    private static void AssertGrants(V1ClusterRole role, string group, string resource, params string[] verbs) =>
        Assert.True(
            verbs.All(verb => role.Rules.Any(r => r.ApiGroups.Contains(group) && r.Resources.Contains(resource) && r.Verbs.Contains(verb))),
            $"ClusterRole {role.Metadata.Name} does not grant {string.Join(", ", verbs)} on {resource} ({(group.Length == 0 ? "core" : group)})");
}
