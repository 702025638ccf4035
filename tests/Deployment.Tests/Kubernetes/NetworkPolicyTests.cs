using Foobar.Deployment.Tests.Support;

namespace Foobar.Deployment.Tests.Kubernetes;

/// <summary>
/// The NetworkPolicies of deploy/k8s, evaluated for every source and every port every pod listens on: exactly the
/// request path is open (clients -> lb -> web -> app -> postgres), so the database stays off the edge.
/// </summary>
public sealed class NetworkPolicyTests
{
    private static readonly KubernetesManifests Manifests = KubernetesManifests.Load();

    [Fact]
    public void Reachability_IsExactlyTheRequestPath()
    {
        var reachability = new NetworkReachability(Manifests);
        var sources = Manifests.Workloads.Select(w => w.Name).Append(NetworkReachability.Outside);
        var allowed = new List<string>();
        foreach (var destination in Manifests.Workloads)
        {
            foreach (var port in destination.Template.Spec.Containers.SelectMany(c => c.Ports).Select(p => p.ContainerPort))
            {
                allowed.AddRange(sources.Where(s => s != destination.Name && reachability.Allows(s, destination.Name, port)).Select(s => $"{s} -> {destination.Name}:{port}"));
            }
        }

        Assert.Equal(
            ["(outside) -> lb:8080", "(outside) -> lb:8443", "app -> postgres:5432", "lb -> web:8080", "web -> app:8080"],
            allowed.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData(NetworkReachability.Outside, "postgres", 5432)]
    [InlineData("lb", "postgres", 5432)]
    [InlineData("web", "postgres", 5432)]
    [InlineData("lb", "app", 8080)]
    [InlineData(NetworkReachability.Outside, "lb", 9101)]
    [InlineData(NetworkReachability.Outside, "web", 8080)]
    public void EdgeAndAdmin_AreClosed(string source, string destination, int port)
    {
        Assert.False(new NetworkReachability(Manifests).Allows(source, destination, port));
    }

    [Fact]
    public void Evaluator_WithoutPolicies_AllowsEverything()
    {
        // The evaluator must be able to say yes: a namespace without policies is wide open (Kubernetes' default).
        var manifests = KubernetesManifests.Load();
        var open = new NetworkReachability(Strip(manifests));

        Assert.True(open.Allows(NetworkReachability.Outside, "postgres", 5432));
        Assert.True(open.Allows("lb", "postgres", 5432));
    }

    private static KubernetesManifests Strip(KubernetesManifests manifests)
    {
        var directory = Directory.CreateTempSubdirectory("foobar-k8s-").FullName;
        foreach (var file in manifests.Resources.Where(r => r != "network-policies.yaml"))
        {
            File.Copy(Path.Combine(manifests.Directory, file), Path.Combine(directory, file));
        }

        File.WriteAllText(Path.Combine(directory, "kustomization.yaml"),
            $"namespace: {manifests.Namespace}\nresources:\n{string.Concat(manifests.Resources.Where(r => r != "network-policies.yaml").Select(r => $"  - {r}\n"))}");
        try
        {
            return KubernetesManifests.Load(directory);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
