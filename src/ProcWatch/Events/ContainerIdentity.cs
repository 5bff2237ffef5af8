namespace ProcWatch;

/// <summary>
/// Who a container is, as its runtime describes it: name, image, runtime, labels and, for a
/// Kubernetes container, its pod. Read once per container from the runtime's state (off the
/// event path) and shared by every process in it; null fields are not known.
/// </summary>
public sealed record ContainerIdentity
{
    /// <summary>The container id (as in the cgroup path: 64 hex digits, or containerd's own name).</summary>
    public required string Id { get; init; }

    /// <summary>The container's name (docker's without the leading "/").</summary>
    public string? Name { get; init; }

    /// <summary>The image name without its tag or digest, e.g. "docker.io/library/nginx" (ECS <c>container.image.name</c>).</summary>
    public string? ImageName { get; init; }

    /// <summary>The image tag, e.g. "1.25" (ECS <c>container.image.tag</c>); null when the image was named by digest or id.</summary>
    public string? ImageTag { get; init; }

    /// <summary>The runtime that runs it: "docker", "podman", "containerd" or "cri-o" (ECS <c>container.runtime</c>).</summary>
    public string? Runtime { get; init; }

    /// <summary>The container's labels (bounded in number and length); null when the runtime keeps none or they could not be read.</summary>
    public IReadOnlyDictionary<string, string>? Labels { get; init; }

    /// <summary>The Kubernetes pod's namespace (label <c>io.kubernetes.pod.namespace</c>).</summary>
    public string? PodNamespace { get; init; }

    /// <summary>The Kubernetes pod's name (label <c>io.kubernetes.pod.name</c>).</summary>
    public string? PodName { get; init; }

    /// <summary>The Kubernetes pod's uid (label <c>io.kubernetes.pod.uid</c>).</summary>
    public string? PodUid { get; init; }

    /// <summary>The container's name in its pod (label <c>io.kubernetes.container.name</c>).</summary>
    public string? PodContainerName { get; init; }

    /// <summary>True when the runtime described it; false when only the id (and the runtime, from the cgroup path) is known.</summary>
    public bool Resolved { get; init; }
}
