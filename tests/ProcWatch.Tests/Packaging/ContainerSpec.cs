using k8s;
using k8s.Models;

namespace ProcWatch.Tests.Packaging;

/// <summary>
/// The container that packaging/kubernetes/procwatch.yaml declares, read with the Kubernetes
/// client's own types, and the podman command line that runs the same container on one host
/// (what docs/install.md shows and the image test runs): one definition of how ProcWatch runs
/// in a container.
/// </summary>
internal sealed class ContainerSpec
{
    public const string ManifestPath = "packaging/kubernetes/procwatch.yaml";

    public required V1DaemonSet DaemonSet { get; init; }
    public required V1ConfigMap ConfigMap { get; init; }
    public required V1ServiceAccount ServiceAccount { get; init; }

    /// <summary>Every object of the file, in order.</summary>
    public required List<object> Objects { get; init; }

    public V1PodSpec Pod => DaemonSet.Spec.Template.Spec;

    public V1Container Container => Pod.Containers.Single();

    public static ContainerSpec Load()
    {
        string text = File.ReadAllText(Path.Combine(Kernel.Ebpf.Programs.RepoRoot, ManifestPath));
        List<object> objects = KubernetesYaml.LoadAllFromString(text);
        return new ContainerSpec
        {
            DaemonSet = objects.OfType<V1DaemonSet>().Single(),
            ConfigMap = objects.OfType<V1ConfigMap>().Single(),
            ServiceAccount = objects.OfType<V1ServiceAccount>().Single(),
            Objects = objects,
        };
    }

    /// <summary>
    /// <c>podman run</c>'s arguments for this container: <paramref name="configDirectory"/> holds
    /// the ConfigMap's files (mounted where the pod mounts the ConfigMap), host paths are mounted
    /// as they are.
    /// </summary>
    public List<string> PodmanRunArguments(string name, string configDirectory, string image)
    {
        var args = new List<string> { "run", "-d", "--name", name };
        if (Pod.HostPID == true)
            args.AddRange(["--pid", "host"]);
        if (Pod.HostNetwork == true)
            args.AddRange(["--network", "host"]);
        V1SecurityContext security = Container.SecurityContext;
        if (security.Capabilities.Drop is { Count: > 0 } drop)
            args.AddRange(["--cap-drop", string.Join(',', drop)]);
        if (security.Capabilities.Add is { Count: > 0 } add)
            args.AddRange(["--cap-add", string.Join(',', add.Select(c => "CAP_" + c))]);
        if (security.ReadOnlyRootFilesystem == true)
            args.Add("--read-only");
        if (security.AllowPrivilegeEscalation == false)
            args.AddRange(["--security-opt", "no-new-privileges"]);
        foreach (V1VolumeMount mount in Container.VolumeMounts)
        {
            V1Volume volume = Pod.Volumes.Single(v => v.Name == mount.Name);
            string source = volume.ConfigMap is not null ? configDirectory
                : volume.HostPath?.Path ?? throw new InvalidOperationException($"volume {volume.Name}: only configMap and hostPath volumes have a podman equivalent here");
            args.AddRange(["-v", $"{source}:{mount.MountPath}" + (mount.ReadOnlyProperty == true ? ":ro" : "")]);
        }
        args.Add(image);
        args.AddRange(Container.Args ?? []);
        return args;
    }
}
