using System.Text.Json;

namespace ProcWatch.Containers;

/// <summary>
/// CRI-O: the OCI bundle it writes per container, <c>RUNROOT/overlay-containers/ID/userdata/config.json</c>,
/// whose annotations carry the kubernetes identity (<c>io.kubernetes.*</c>) and CRI-O's own
/// (<c>io.kubernetes.cri-o.ImageName</c>, <c>.Labels</c>, <c>.ContainerName</c>).
/// Not tested against a real CRI-O (no Debian package): a fixture test only.
/// </summary>
internal sealed class CrioStateReader(string runRoot) : IContainerRuntimeReader
{
    private const int MaxBytes = 4 * 1024 * 1024;

    public string Runtime => "cri-o";

    public string Source => $"{runRoot}/overlay-containers";

    public (bool Present, bool Readable, string Detail) Probe() =>
        Directory.Exists("/run/crio") || File.Exists("/usr/bin/crio")
            ? (true, Directory.Exists(Source), Directory.Exists(Source) ? $"{Source} readable" : $"{Source} not found")
            : (false, false, "CRI-O not found (/run/crio)");

    public ContainerLookup Read(string id, string? containerdNamespace)
    {
        string path = $"{Source}/{id}/userdata/config.json";
        switch (StateFile.TryRead(path, MaxBytes, out byte[] content, out string? reason))
        {
            case StateFile.Result.Missing:
                return Directory.Exists(Source) ? ContainerLookup.NotFound : ContainerLookup.Absent;
            case StateFile.Result.Refused:
                return ContainerLookup.Failed(reason!);
        }
        try
        {
            return Parse(id, content) is { } identity ? ContainerLookup.Found(identity) : ContainerLookup.NotFound;
        }
        catch (JsonException ex)
        {
            return ContainerLookup.Failed($"{path}: {ex.Message}");
        }
    }

    internal static ContainerIdentity? Parse(string id, byte[] json)
    {
        using var document = JsonDocument.Parse(json);
        if (!document.RootElement.TryGetProperty("annotations", out JsonElement annotations) || annotations.ValueKind != JsonValueKind.Object)
            return null;
        Dictionary<string, string>? labels = null;
        if (DockerStateReader.StringOf(annotations, "io.kubernetes.cri-o.Labels") is { } labelJson)
        {
            using var labelDocument = JsonDocument.Parse(labelJson);
            labels = labelDocument.RootElement.ValueKind == JsonValueKind.Object ? LabelsOf(labelDocument.RootElement) : null;
        }
        labels ??= [];
        foreach (string key in (string[])[KubernetesLabels.PodName, KubernetesLabels.PodNamespace, KubernetesLabels.PodUid, KubernetesLabels.ContainerName])
        {
            if (!labels.ContainsKey(key) && DockerStateReader.StringOf(annotations, key) is { } value)
                KubernetesLabels.TryAdd(labels, key, value);
        }
        return KubernetesLabels.CriContainer(id, "cri-o",
            runtimeName: DockerStateReader.StringOf(annotations, "io.kubernetes.cri-o.ContainerName"),
            image: DockerStateReader.StringOf(annotations, "io.kubernetes.cri-o.ImageName"),
            labels);
    }

    private static Dictionary<string, string> LabelsOf(JsonElement map)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (JsonProperty label in map.EnumerateObject())
        {
            if (label.Value.ValueKind == JsonValueKind.String)
                KubernetesLabels.TryAdd(labels, label.Name, label.Value.GetString()!);
        }
        return labels;
    }
}
