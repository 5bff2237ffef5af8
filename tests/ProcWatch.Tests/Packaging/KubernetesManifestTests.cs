using System.Text.Json;
using System.Text.RegularExpressions;
using k8s;
using k8s.Models;
using ProcWatch.Daemon.Configuration;
using ProcWatch.Watching;
using Xunit;

namespace ProcWatch.Tests.Packaging;

/// <summary>
/// packaging/kubernetes/procwatch.yaml parses into the Kubernetes object model, and declares
/// the container the image test runs (<see cref="ContainerImageTests"/> builds its podman line
/// from this same file): the host's pid and network namespaces, no capability beyond the list,
/// BTF and the configuration mounted read-only, the image's default command.
/// </summary>
public partial class KubernetesManifestTests
{
    private static readonly ContainerSpec Spec = ContainerSpec.Load();

    [Fact]
    public void TheManifest_IsAServiceAccountAConfigMapAndADaemonSet()
    {
        Assert.Equal(3, Spec.Objects.Count);
        Assert.Equal(["v1/ServiceAccount", "v1/ConfigMap", "apps/v1/DaemonSet"],
            Spec.Objects.Cast<IKubernetesObject>().Select(o => $"{o.ApiVersion}/{o.Kind}"));
        Assert.Equal(Spec.ServiceAccount.Metadata.Name, Spec.Pod.ServiceAccountName);
        Assert.False(Spec.ServiceAccount.AutomountServiceAccountToken); // no API access
        Assert.False(Spec.Pod.AutomountServiceAccountToken);
        Assert.Equal(Spec.DaemonSet.Spec.Selector.MatchLabels, Spec.DaemonSet.Spec.Template.Metadata.Labels);
    }

    [Fact]
    public void TheContainer_GetsTheHostsProcessesAndOnlyTheCapabilitiesItNeeds()
    {
        Assert.True(Spec.Pod.HostPID);      // the host's processes
        Assert.True(Spec.Pod.HostNetwork);  // the proc connector lives in the initial network namespace
        V1SecurityContext security = Spec.Container.SecurityContext;
        Assert.False(security.Privileged);
        Assert.False(security.AllowPrivilegeEscalation);
        Assert.True(security.ReadOnlyRootFilesystem);
        Assert.Equal(["ALL"], security.Capabilities.Drop);
        Assert.Equal(["BPF", "PERFMON", "NET_ADMIN", "SYS_PTRACE", "SYS_RESOURCE", "DAC_READ_SEARCH", "SYS_ADMIN"], security.Capabilities.Add);
        Assert.Contains(Spec.Container.VolumeMounts, m => m.MountPath == "/sys/kernel/btf" && m.ReadOnlyProperty == true);
        Assert.Contains(Spec.Container.VolumeMounts, m => m.MountPath == "/etc/procwatch" && m.ReadOnlyProperty == true);
        Assert.Equal("/sys/kernel/btf", Spec.Pod.Volumes.Single(v => v.Name == "btf").HostPath.Path);
        Assert.Equal(Spec.ConfigMap.Metadata.Name, Spec.Pod.Volumes.Single(v => v.Name == "config").ConfigMap.Name);
    }

    [Fact]
    public void TheConfigMap_IsAValidConfiguration_ThatRequiresEbpf_AndWritesToTheLog()
    {
        DaemonConfig config = ConfigLoader.Parse(Spec.ConfigMap.Data["procwatch.yaml"], "ConfigMap procwatch");
        Assert.Equal(Backend.Ebpf, config.Backend); // exact argv, or a clear error at start
        Assert.Equal(OutputType.Stdout, Assert.Single(config.Outputs).Type);
        Assert.Null(config.Health.Socket); // nothing to write in a read-only root
        // The image's own default says the same.
        DaemonConfig image = ConfigLoader.Load(Path.Combine(Kernel.Ebpf.Programs.RepoRoot, "packaging/image/procwatch.yaml"));
        Assert.Equal((config.Backend, config.Events, config.Health.Socket), (image.Backend, image.Events, image.Health.Socket));
        Assert.Equal(config.Outputs.Select(o => o.Type), image.Outputs.Select(o => o.Type));
    }

    [Fact]
    public void TheContainersArgs_AreTheImagesDefaultCommand()
    {
        // packaging/build.sh: --cmd '["daemon","--config","/etc/procwatch/procwatch.yaml"]'
        string build = File.ReadAllText(Path.Combine(Kernel.Ebpf.Programs.RepoRoot, "packaging/build.sh"));
        Match cmd = ImageCommand().Match(build);
        Assert.True(cmd.Success, "no --cmd '[...]' in packaging/build.sh");
        string[] imageCommand = JsonSerializer.Deserialize<string[]>(cmd.Groups[1].Value)!;
        Assert.Equal(imageCommand, Spec.Container.Args);
        Assert.Equal("/etc/procwatch/procwatch.yaml", imageCommand[^1]);
    }

    [Fact]
    public void TheInstallPage_ShowsThePodmanLineOfThisContainer()
    {
        string page = File.ReadAllText(Path.Combine(Kernel.Ebpf.Programs.RepoRoot, "docs/install.md"));
        string line = "podman " + string.Join(' ', Spec.PodmanRunArguments("procwatch", "/etc/procwatch", "localhost/procwatch:VERSION"));
        Assert.Contains(line, page, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"--cmd '(\[[^']*\])'")]
    private static partial Regex ImageCommand();
}
