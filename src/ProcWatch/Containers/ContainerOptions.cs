namespace ProcWatch.Containers;

/// <summary>
/// Where each container runtime keeps what ProcWatch reads (<c>--container-runtime KIND=PATH</c>,
/// daemon <c>containers:</c>). The defaults are the runtimes' own defaults as root.
/// </summary>
internal sealed record ContainerOptions
{
    public const string DefaultDockerRoot = "/var/lib/docker";
    public const string DefaultPodmanRoot = "/var/lib/containers/storage";
    public const string DefaultContainerdState = "/run/containerd";
    public const string DefaultCrioRunRoot = "/run/containers/storage";

    /// <summary>Read container identities from the runtimes at all; false: events carry the cgroup's id only.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>dockerd's <c>--data-root</c>: <c>containers/ID/config.v2.json</c> is read.</summary>
    public string DockerRoot { get; init; } = DefaultDockerRoot;

    /// <summary>Podman's storage <c>graphroot</c>: <c>overlay-containers/containers.json</c> is read.</summary>
    public string PodmanRoot { get; init; } = DefaultPodmanRoot;

    /// <summary>containerd's <c>state</c> directory: its task directories confirm <c>/NAMESPACE/ID</c> cgroups.</summary>
    public string ContainerdState { get; init; } = DefaultContainerdState;

    /// <summary>containerd's gRPC socket; null: <c>STATE/containerd.sock</c> (containerd's default layout).</summary>
    public string? ContainerdSocket { get; init; }

    /// <summary>CRI-O's storage <c>runroot</c>: <c>overlay-containers/ID/userdata/config.json</c> is read.</summary>
    public string CrioRunRoot { get; init; } = DefaultCrioRunRoot;

    /// <summary>Containers remembered (the oldest forgotten beyond it).</summary>
    public int CacheCapacity { get; init; } = 4096;

    /// <summary>Containers waiting for the resolver; beyond it a container is asked for again at its next event.</summary>
    public int QueueCapacity { get; init; } = 256;

    /// <summary>Where the one warning per failing runtime goes (the CLI: stderr; the daemon: its log); null: nowhere.</summary>
    public Action<string>? Warning { get; init; }

    public string ContainerdSocketPath => ContainerdSocket ?? $"{ContainerdState}/containerd.sock";
}
