namespace ProcWatch.Containers;

/// <summary>
/// The labels kubelet gives every container it creates through CRI, and the bounds on what a
/// container's labels may bring into events (labels come from image authors: untrusted).
/// </summary>
internal static class KubernetesLabels
{
    public const string PodName = "io.kubernetes.pod.name";
    public const string PodNamespace = "io.kubernetes.pod.namespace";
    public const string PodUid = "io.kubernetes.pod.uid";
    public const string ContainerName = "io.kubernetes.container.name";

    public const int MaxLabels = 64;
    public const int MaxKeyLength = 256;
    public const int MaxValueLength = 1024;

    /// <summary>Adds a label if it fits the bounds; false when it was left out.</summary>
    public static bool TryAdd(Dictionary<string, string> labels, string key, string value)
    {
        if (labels.Count >= MaxLabels || key.Length > MaxKeyLength || value.Length > MaxValueLength)
            return false;
        labels[key] = value;
        return true;
    }

    /// <summary>
    /// A container that kubelet created through CRI (containerd, CRI-O): named as the pod spec
    /// names it when kubelet's label says so, else <paramref name="runtimeName"/>; the pod fields
    /// from the labels.
    /// </summary>
    public static ContainerIdentity CriContainer(string id, string runtime, string? runtimeName, string? image, Dictionary<string, string> labels)
    {
        (string? imageName, string? tag) = ImageReference.Split(image);
        var identity = new ContainerIdentity
        {
            Id = id,
            Name = labels.GetValueOrDefault(ContainerName) ?? runtimeName,
            ImageName = imageName,
            ImageTag = tag,
            Runtime = runtime,
            Labels = labels.Count == 0 ? null : labels,
            Resolved = true,
        };
        return WithPod(identity, labels);
    }

    /// <summary>The identity with the pod fields filled from the labels (any runtime).</summary>
    public static ContainerIdentity WithPod(ContainerIdentity identity, IReadOnlyDictionary<string, string>? labels)
    {
        if (labels is null || !labels.TryGetValue(PodName, out string? pod))
            return identity;
        return identity with
        {
            PodName = pod,
            PodNamespace = labels.GetValueOrDefault(PodNamespace),
            PodUid = labels.GetValueOrDefault(PodUid),
            PodContainerName = labels.GetValueOrDefault(ContainerName),
        };
    }
}
