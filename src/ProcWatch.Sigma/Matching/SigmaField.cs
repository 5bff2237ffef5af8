namespace ProcWatch.Sigma.Matching;

/// <summary>The fields of Sigma's process_creation taxonomy that ProcWatch knows (README: "Sigma field mapping").</summary>
internal enum SigmaField : byte
{
    Image,
    CommandLine,
    ParentImage,
    ParentCommandLine,
    User,
    CurrentDirectory,
    // Not in Sigma's process_creation taxonomy: the ECS names (rules written for ECS-mapped
    // backends use them) of the container's identity. Text fields, so before the numeric ones.
    ContainerName,
    ContainerImage,
    PodNamespace,
    PodName,
    LogonId,
    ProcessId,
    ParentProcessId,
}

internal static class SigmaFields
{
    public const int Count = 13;

    /// <summary>Fields a keyword (a value without a field) is searched in.</summary>
    public static readonly SigmaField[] Text =
        [SigmaField.Image, SigmaField.CommandLine, SigmaField.ParentImage, SigmaField.ParentCommandLine, SigmaField.User, SigmaField.CurrentDirectory];

    public static bool IsNumeric(SigmaField field) => field >= SigmaField.LogonId;

    /// <summary>Sigma's name (case-insensitive, as Sigma backends treat field names) to ours; false with the reason otherwise.</summary>
    public static bool TryResolve(string name, out SigmaField field, out string? reason)
    {
        reason = null;
        switch (name.ToLowerInvariant())
        {
            case "image": field = SigmaField.Image; return true;
            case "commandline": field = SigmaField.CommandLine; return true;
            case "parentimage": field = SigmaField.ParentImage; return true;
            case "parentcommandline": field = SigmaField.ParentCommandLine; return true;
            case "user": field = SigmaField.User; return true;
            case "currentdirectory": field = SigmaField.CurrentDirectory; return true;
            case "logonid": field = SigmaField.LogonId; return true;
            case "processid": field = SigmaField.ProcessId; return true;
            case "parentprocessid": field = SigmaField.ParentProcessId; return true;
            case "container.name": field = SigmaField.ContainerName; return true;
            case "container.image.name": field = SigmaField.ContainerImage; return true;
            case "orchestrator.namespace": field = SigmaField.PodNamespace; return true;
            case "orchestrator.resource.name": field = SigmaField.PodName; return true;
        }
        field = default;
        reason = name.ToLowerInvariant() switch
        {
            "originalfilename" or "product" or "company" or "description" or "fileversion" =>
                $"field '{name}' comes from a Windows PE header; Linux executables have none",
            "hashes" or "md5" or "sha1" or "sha256" or "imphash" =>
                $"field '{name}': ProcWatch does not hash executables at exec",
            _ => $"field '{name}' is not one ProcWatch knows for process_creation (it knows {string.Join(", ", Names)})",
        };
        return false;
    }

    public static readonly string[] Names =
        ["Image", "CommandLine", "ParentImage", "ParentCommandLine", "User", "CurrentDirectory",
         "container.name", "container.image.name", "orchestrator.namespace", "orchestrator.resource.name", "LogonId", "ProcessId", "ParentProcessId"];
}
