using System.Text.RegularExpressions;
using Foobar.Deployment.Tests.Support;
using Foobar.TestSupport;
using k8s;
using k8s.Models;

namespace Foobar.Deployment.Tests.Kubernetes;

/// <summary>
/// deploy/k8s parsed into typed objects and checked for what kubectl would accept yet the stack would not survive:
/// selectors that select nothing, ports and secrets that do not exist, variables no service reads.
/// </summary>
public sealed partial class ManifestTests
{
    private static readonly KubernetesManifests Manifests = KubernetesManifests.Load();

    [Fact]
    public void Kustomization_ListsEveryManifestOfTheFolder()
    {
        var files = Directory.EnumerateFiles(Manifests.Directory, "*.yaml").Select(Path.GetFileName).Where(f => f != "kustomization.yaml");

        Assert.Equal(files.Order(StringComparer.Ordinal), Manifests.Resources.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Manifests_ParseIntoTypedObjects_AllInTheStacksNamespace()
    {
        Assert.Equal(
            ["Deployment/app", "Deployment/lb", "Deployment/web", "Namespace/foobar", "NetworkPolicy/app", "NetworkPolicy/default-deny",
             "NetworkPolicy/dns", "NetworkPolicy/lb", "NetworkPolicy/postgres", "NetworkPolicy/web", "PodDisruptionBudget/app",
             "PodDisruptionBudget/lb", "PodDisruptionBudget/web", "Secret/foobar-secrets", "Service/app", "Service/foobar",
             "Service/postgres", "Service/web", "StatefulSet/postgres"],
            Manifests.Objects.Cast<IKubernetesObject<V1ObjectMeta>>().Select(o => $"{o.Kind}/{o.Metadata.Name}").Order(StringComparer.Ordinal));
        Assert.All(Manifests.Objects.Cast<IKubernetesObject<V1ObjectMeta>>().Where(o => o is not V1Namespace),
            o => Assert.Equal(Manifests.Namespace, o.Metadata.NamespaceProperty));
        Assert.Equal(Manifests.Namespace, Assert.Single(Manifests.Objects.OfType<V1Namespace>()).Metadata.Name);
    }

    [Fact]
    public void StrictLoader_MisspeltField_IsRejectedNamingTheFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"foobar-k8s-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, File.ReadAllText(Path.Combine(Manifests.Directory, "web.yaml")).Replace("readinessProbe:", "readynessProbe:", StringComparison.Ordinal));
        try
        {
            var error = Assert.Throws<InvalidOperationException>(() => KubernetesManifests.LoadFile(path));
            Assert.Contains(Path.GetFileName(path), error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Workloads_SelectorsSelectTheirOwnPods_AndNoOtherWorkloads()
    {
        Assert.All(Manifests.Workloads, w =>
        {
            Assert.True(KubernetesManifests.Selects(w.Selector, w.PodLabels), $"{w}: its selector does not select its pod template");
            Assert.All(Manifests.Workloads.Where(o => o != w), o => Assert.False(KubernetesManifests.Selects(w.Selector, o.PodLabels), $"{w} also selects {o}'s pods"));
        });
    }

    [Theory]
    [InlineData("postgres", "postgres", 5432)]
    [InlineData("app", "app", 8080)]
    [InlineData("web", "web", 8080)]
    [InlineData("foobar", "lb", 80)]
    [InlineData("foobar", "lb", 443)]
    public void Service_SelectsExactlyItsWorkload_AndTargetsAContainerPort(string service, string workload, int port)
    {
        var spec = Manifests.Services.Single(s => s.Metadata.Name == service).Spec;

        var selected = Manifests.Workloads.Where(w => KubernetesManifests.Selects(spec.Selector, w.PodLabels)).Select(w => w.Name);
        var servicePort = Assert.Single(spec.Ports, p => p.Port == port);

        Assert.Equal([workload], selected);
        Assert.NotNull(Manifests.Workload(workload).Port(servicePort.TargetPort ?? (IntOrString)port));
    }

    [Fact]
    public void Postgres_StatefulSetsServiceIsHeadlessAndExists()
    {
        var postgres = Assert.Single(Manifests.StatefulSets);

        Assert.Equal("None", Manifests.Services.Single(s => s.Metadata.Name == postgres.Spec.ServiceName).Spec.ClusterIP);
        Assert.Single(postgres.Spec.VolumeClaimTemplates, c => postgres.Spec.Template.Spec.Containers[0].VolumeMounts.Any(m => m.Name == c.Metadata.Name));
    }

    [Fact]
    public void Probes_PointAtNamedContainerPorts_OnEveryLongRunningContainer()
    {
        foreach (var workload in Manifests.Workloads)
        {
            foreach (var container in workload.Template.Spec.Containers)
            {
                Assert.True(container.ReadinessProbe is not null && container.LivenessProbe is not null, $"{workload}/{container.Name}: needs readiness and liveness probes");
                foreach (var probe in new[] { container.StartupProbe, container.ReadinessProbe, container.LivenessProbe }.OfType<V1Probe>())
                {
                    if (probe.HttpGet is { } get)
                    {
                        Assert.True(workload.Port(get.Port) is not null, $"{workload}/{container.Name}: probe port {get.Port.Value} is not a container port");
                    }
                    else
                    {
                        Assert.NotNull(probe.Exec);
                    }
                }
            }
        }
    }

    [Fact]
    public void DisruptionBudgets_EachSelectsOneWorkload_AndLetADrainProceed()
    {
        Assert.Equal(["app", "lb", "web"], Manifests.DisruptionBudgets.Select(b => b.Metadata.Name).Order(StringComparer.Ordinal));
        foreach (var budget in Manifests.DisruptionBudgets)
        {
            var workload = Assert.Single(Manifests.Workloads, w => KubernetesManifests.Selects(budget.Spec.Selector, w.PodLabels));
            // One pod may go and at least one stays: a drain is neither blocked forever nor allowed to empty the tier.
            var mayGo = budget.Spec.MinAvailable is { } min ? workload.Replicas - int.Parse(min.Value, System.Globalization.CultureInfo.InvariantCulture) : int.Parse(budget.Spec.MaxUnavailable.Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(mayGo, 1, workload.Replicas - 1);
        }
    }

    [Fact]
    public void SecretReferences_NameSecretsAndKeysThatExist()
    {
        var secrets = Manifests.Secrets.ToDictionary(s => s.Metadata.Name, s => (s.StringData ?? new Dictionary<string, string>()).Keys.Concat((s.Data ?? new Dictionary<string, byte[]>()).Keys).ToHashSet());
        foreach (var workload in Manifests.Workloads)
        {
            foreach (var volume in (workload.Template.Spec.Volumes ?? []).Where(v => v.Secret is not null))
            {
                Assert.True(secrets.ContainsKey(volume.Secret.SecretName), $"{workload}: volume {volume.Name} mounts missing secret {volume.Secret.SecretName}");
                Assert.All(volume.Secret.Items ?? [], item => Assert.Contains(item.Key, secrets[volume.Secret.SecretName]));
            }
        }
    }

    [Fact]
    public void FileVariables_PointAtAFileOfAMountedSecret()
    {
        var checkedVariables = 0;
        foreach (var workload in Manifests.Workloads)
        {
            foreach (var container in workload.AllContainers)
            {
                foreach (var variable in (container.Env ?? []).Where(e => e.Name.EndsWith(EnvironmentKeyChecker.FileSuffix, StringComparison.Ordinal)))
                {
                    var mount = (container.VolumeMounts ?? []).SingleOrDefault(m => variable.Value.StartsWith(m.MountPath + "/", StringComparison.Ordinal));
                    Assert.True(mount is not null, $"{workload}/{container.Name}: {variable.Name}={variable.Value} is under no volume mount");
                    var volume = workload.Template.Spec.Volumes.Single(v => v.Name == mount.Name);
                    Assert.True(volume.Secret is not null, $"{workload}/{container.Name}: {variable.Name} reads volume {volume.Name}, which is not a secret");
                    Assert.Contains(variable.Value[(mount.MountPath.Length + 1)..], volume.Secret.Items.Select(i => i.Path));
                    checkedVariables++;
                }
            }
        }

        // app's PGPASSWORD (container and migrate), lb's admin token, postgres's password.
        Assert.Equal(4, checkedVariables);
    }

    [Fact]
    public void DemoSecret_HoldsTheValuesOfDeploySecrets()
    {
        var secret = Assert.Single(Manifests.Secrets);

        Assert.All(secret.StringData, entry => Assert.Equal(File.ReadAllText(Path.Combine(RepoPaths.Root, "deploy", "secrets", entry.Key)).TrimEnd('\n'), entry.Value));
    }

    [Fact]
    public async Task Images_AreTheComposeFilesImages_ByService()
    {
        var compose = await ComposeFile.LoadAsync();

        Assert.Equal(compose.Services["app"].Image, Assert.Single(Manifests.Workload("app").AllContainers.Select(c => c.Image).Distinct()));
        Assert.Equal(compose.Services["web"].Image, Manifests.Workload("web").Template.Spec.Containers.Single().Image);
        Assert.Equal(compose.Services["lb-1"].Image, Manifests.Workload("lb").Template.Spec.Containers.Single().Image);
        Assert.Equal(compose.Services["postgres"].Image, Manifests.Workload("postgres").Template.Spec.Containers.Single().Image);
    }

    [Fact]
    public async Task Environment_EveryVariable_BindsToAnOptionKey()
    {
        var compose = await ComposeFile.LoadAsync();
        var imageToDockerfile = compose.Services.Values.Where(s => s.Dockerfile is not null).GroupBy(s => s.Image!).ToDictionary(g => g.Key, g => g.First().Dockerfile!);
        var problems = new List<string>();
        var checkedContainers = 0;
        foreach (var workload in Manifests.Workloads)
        {
            foreach (var container in workload.AllContainers.Where(c => imageToDockerfile.ContainsKey(c.Image)))
            {
                var catalog = OptionKeyCatalog.ForService(Dockerfile.Load(imageToDockerfile[container.Image]).Project);
                var environment = (container.Env ?? []).ToDictionary(e => e.Name, e => e.Value ?? "");
                problems.AddRange(EnvironmentKeyChecker.Check(environment, catalog, entrypointReadsFiles: true).Select(p => $"{workload}/{container.Name}: {p}"));
                checkedContainers++;
            }
        }

        Assert.Equal(4, checkedContainers); // app, its migrate init container, web, lb
        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Theory]
    [InlineData("web", "AppServers__Destinations__0", "app")]
    [InlineData("lb", "WebServers__Destinations__0", "web")]
    [InlineData("app", "ConnectionStrings__Foobar", "postgres")]
    public void UpstreamAddresses_NameTheServiceOfTheNextTier_OnAPortItServes(string workload, string variable, string upstream)
    {
        var value = Manifests.Workload(workload).Template.Spec.Containers.Single().Env.Single(e => e.Name == variable).Value;
        var (host, port) = HostAndPort(value);

        var service = Manifests.Services.Single(s => s.Metadata.Name == host);

        Assert.Equal("None", service.Spec.ClusterIP); // headless: the caller sees and health-checks every pod
        if (upstream != "postgres")
        {
            Assert.True(service.Spec.PublishNotReadyAddresses, $"{host}: the caller's own health checks decide, so DNS must list pods that are not ready yet");
        }

        var servicePort = Assert.Single(service.Spec.Ports, p => p.Port == port);
        Assert.Equal([upstream], Manifests.Workloads.Where(w => KubernetesManifests.Selects(service.Spec.Selector, w.PodLabels)).Select(w => w.Name));
        Assert.NotNull(Manifests.Workload(upstream).Port(servicePort.TargetPort));
    }

    [Fact]
    public void LoadBalancers_TwoOnDifferentNodes_BehindTheLoadBalancerService()
    {
        var lb = Manifests.Workload("lb");
        var antiAffinity = Assert.Single(lb.Template.Spec.Affinity.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution);
        var service = Manifests.Services.Single(s => s.Spec.Type == "LoadBalancer");

        Assert.Equal(2, lb.Replicas);
        Assert.Equal("kubernetes.io/hostname", antiAffinity.TopologyKey);
        Assert.True(KubernetesManifests.Selects(antiAffinity.LabelSelector, lb.PodLabels), "the anti-affinity must select the lb pods themselves");
        Assert.True(KubernetesManifests.Selects(service.Spec.Selector, lb.PodLabels));
        Assert.Equal("Local", service.Spec.ExternalTrafficPolicy);
        // The Service's address is the virtual endpoint; the pods' own UDP election would have no peers to find.
        Assert.Equal("false", lb.Template.Spec.Containers[0].Env.Single(e => e.Name == "Election__Enabled").Value);
    }

    [Theory]
    [InlineData("app")]
    [InlineData("web")]
    public void Tiers_RollOutWithoutLosingCapacity_AndKeepServingWhileLeavingTheService(string name)
    {
        var deployment = Manifests.Deployments.Single(d => d.Metadata.Name == name);
        var container = deployment.Spec.Template.Spec.Containers.Single();

        Assert.Equal("0", deployment.Spec.Strategy.RollingUpdate.MaxUnavailable.Value);
        Assert.True(container.Lifecycle?.PreStop?.Sleep?.Seconds > 0, $"{name}: a preStop pause covers the endpoint removal's propagation");
        Assert.True(deployment.Spec.Template.Spec.TerminationGracePeriodSeconds > container.Lifecycle.PreStop.Sleep.Seconds + 25);
    }

    private static (string Host, int Port) HostAndPort(string value)
    {
        if (Uri.TryCreate(value, UriKind.Absolute, out var uri))
        {
            return (uri.Host, uri.Port);
        }

        var match = ConnectionStringHostPort().Match(value);
        Assert.True(match.Success, $"no host and port in '{value}'");
        return (match.Groups["host"].Value, int.Parse(match.Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    [GeneratedRegex("Host=(?<host>[^;]+);Port=(?<port>[0-9]+)")]
    private static partial Regex ConnectionStringHostPort();
}
