using k8s.Models;

namespace Foobar.Deployment.Tests.Support;

/// <summary>A Deployment or a StatefulSet: what runs, how many, and how its pods are selected.</summary>
internal sealed record Workload(string Kind, string Name, int Replicas, V1LabelSelector Selector, V1PodTemplateSpec Template)
{
    public IDictionary<string, string> PodLabels => Template.Metadata.Labels;

    public IEnumerable<V1Container> AllContainers => Template.Spec.Containers.Concat(Template.Spec.InitContainers ?? []);

    /// <summary>A container port by number, or by name as a probe or a Service's targetPort names it.</summary>
    public V1ContainerPort? Port(IntOrString port) =>
        Template.Spec.Containers.SelectMany(c => c.Ports ?? []).FirstOrDefault(p =>
            int.TryParse(port.Value, System.Globalization.CultureInfo.InvariantCulture, out var number) ? p.ContainerPort == number : p.Name == port.Value);

    public override string ToString() => $"{Kind}/{Name}";
}
