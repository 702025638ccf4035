using k8s;
using k8s.Models;
using Foobar.TestSupport;
using YamlDotNet.RepresentationModel;

namespace Foobar.Deployment.Tests.Support;

/// <summary>
/// deploy/k8s as kubectl would read it: the files its kustomization.yaml lists, every document deserialized into
/// KubernetesClient's typed models in strict mode (an unknown or misspelt field is an error, as with
/// <c>kubectl apply --validate=strict</c>).
/// </summary>
internal sealed class KubernetesManifests
{
    private KubernetesManifests(string directory, string kustomizationNamespace, IReadOnlyList<string> resources, IReadOnlyList<object> objects)
    {
        Directory = directory;
        Namespace = kustomizationNamespace;
        Resources = resources;
        Objects = objects;
    }

    public static string DefaultDirectory { get; } = Path.Combine(RepoPaths.Root, "deploy", "k8s");

    public string Directory { get; }

    /// <summary>The <c>namespace:</c> of kustomization.yaml.</summary>
    public string Namespace { get; }

    /// <summary>The <c>resources:</c> of kustomization.yaml, as written.</summary>
    public IReadOnlyList<string> Resources { get; }

    public IReadOnlyList<object> Objects { get; }

    public IEnumerable<V1Deployment> Deployments => Objects.OfType<V1Deployment>();

    public IEnumerable<V1StatefulSet> StatefulSets => Objects.OfType<V1StatefulSet>();

    public IEnumerable<V1Service> Services => Objects.OfType<V1Service>();

    public IEnumerable<V1Secret> Secrets => Objects.OfType<V1Secret>();

    public IEnumerable<V1PodDisruptionBudget> DisruptionBudgets => Objects.OfType<V1PodDisruptionBudget>();

    public IEnumerable<V1NetworkPolicy> NetworkPolicies => Objects.OfType<V1NetworkPolicy>();

    /// <summary>Every Deployment and StatefulSet, with what the checks need of either.</summary>
    public IEnumerable<Workload> Workloads =>
        Deployments.Select(d => new Workload("Deployment", d.Metadata.Name, d.Spec.Replicas ?? 1, d.Spec.Selector, d.Spec.Template))
            .Concat(StatefulSets.Select(s => new Workload("StatefulSet", s.Metadata.Name, s.Spec.Replicas ?? 1, s.Spec.Selector, s.Spec.Template)));

    public Workload Workload(string name) => Workloads.Single(w => w.Name == name);

    public static KubernetesManifests Load() => Load(DefaultDirectory);

    public static KubernetesManifests Load(string directory)
    {
        var kustomization = new YamlStream();
        using (var reader = File.OpenText(Path.Combine(directory, "kustomization.yaml")))
        {
            kustomization.Load(reader);
        }

        var root = (YamlMappingNode)kustomization.Documents[0].RootNode;
        var resources = ((YamlSequenceNode)root["resources"]).Children.Select(r => ((YamlScalarNode)r).Value!).ToList();
        var objects = resources.SelectMany(file => LoadFile(Path.Combine(directory, file))).ToList();
        return new KubernetesManifests(directory, ((YamlScalarNode)root["namespace"]).Value!, resources, objects);
    }

    /// <summary>Every document of one file as its typed model; a document kubectl would reject fails here, naming the file.</summary>
    public static IReadOnlyList<object> LoadFile(string path)
    {
        try
        {
            return KubernetesYaml.LoadAllFromString(File.ReadAllText(path), typeMap: null, strict: true);
        }
        catch (Exception ex) when (ex is YamlDotNet.Core.YamlException or ArgumentException or InvalidOperationException)
        {
            throw new InvalidOperationException($"{Path.GetFileName(path)}: {ex.Message} {ex.InnerException?.Message}", ex);
        }
    }

    public static bool Selects(V1LabelSelector selector, IDictionary<string, string>? labels)
    {
        if (selector.MatchExpressions is { Count: > 0 })
        {
            throw new NotSupportedException("matchExpressions: the manifests use matchLabels only; extend the check before using them");
        }

        return Selects(selector.MatchLabels, labels);
    }

    /// <summary>Label-map selection: every pair of <paramref name="selector"/> is in <paramref name="labels"/> (an empty selector selects all).</summary>
    public static bool Selects(IDictionary<string, string>? selector, IDictionary<string, string>? labels) =>
        (selector ?? new Dictionary<string, string>()).All(s => labels is not null && labels.TryGetValue(s.Key, out var value) && value == s.Value);
}
