using System.Text.Json;

namespace ProcWatch.Containers;

/// <summary>
/// Podman: <c>GRAPHROOT/overlay-containers/containers.json</c>, containers/storage's list of
/// containers (names, and in "metadata" the image name podman ran). <c>podman inspect</c>
/// costs ~0.6 s a call here, and the REST socket is usually not running; labels live only in
/// libpod's own database (bolt or sqlite) and are not read.
/// </summary>
internal sealed class PodmanStateReader(string graphRoot) : IContainerRuntimeReader
{
    private const int MaxBytes = 32 * 1024 * 1024;

    public string Runtime => "podman";

    public string Source => $"{graphRoot}/overlay-containers/containers.json";

    public (bool Present, bool Readable, string Detail) Probe()
    {
        if (!Directory.Exists(graphRoot))
            return (false, false, $"{graphRoot} not found");
        return StateFile.TryRead(Source, MaxBytes, out _, out string? reason) switch
        {
            StateFile.Result.Read => (true, true, $"{Source} readable"),
            StateFile.Result.Missing => (true, true, $"{Source} not written yet (no containers)"),
            _ => (true, false, reason!),
        };
    }

    public ContainerLookup Read(string id, string? containerdNamespace)
    {
        if (!Directory.Exists(graphRoot))
            return ContainerLookup.Absent;
        switch (StateFile.TryRead(Source, MaxBytes, out byte[] content, out string? reason))
        {
            case StateFile.Result.Missing:
                return ContainerLookup.NotFound;
            case StateFile.Result.Refused:
                return ContainerLookup.Failed(reason!);
        }
        try
        {
            return Parse(id, content) is { } identity ? ContainerLookup.Found(identity) : ContainerLookup.NotFound;
        }
        catch (JsonException ex)
        {
            return ContainerLookup.Failed($"{Source}: {ex.Message}");
        }
    }

    internal static ContainerIdentity? Parse(string id, byte[] json)
    {
        using var document = JsonDocument.Parse(json);
        if (document.RootElement.ValueKind != JsonValueKind.Array)
            throw new JsonException("not a JSON array");
        foreach (JsonElement container in document.RootElement.EnumerateArray())
        {
            if (container.ValueKind != JsonValueKind.Object || DockerStateReader.StringOf(container, "id") != id)
                continue;
            string? name = null;
            if (container.TryGetProperty("names", out JsonElement names) && names.ValueKind == JsonValueKind.Array && names.GetArrayLength() > 0
                && names[0].ValueKind == JsonValueKind.String)
            {
                name = names[0].GetString();
            }
            string? image = null;
            if (DockerStateReader.StringOf(container, "metadata") is { } metadata)
            {
                using var meta = JsonDocument.Parse(metadata);
                if (meta.RootElement.ValueKind == JsonValueKind.Object)
                {
                    image = DockerStateReader.StringOf(meta.RootElement, "image-name");
                    name ??= DockerStateReader.StringOf(meta.RootElement, "name");
                }
            }
            (string? imageName, string? tag) = ImageReference.Split(image);
            return new ContainerIdentity { Id = id, Name = name, ImageName = imageName, ImageTag = tag, Runtime = "podman", Resolved = true };
        }
        return null;
    }
}
