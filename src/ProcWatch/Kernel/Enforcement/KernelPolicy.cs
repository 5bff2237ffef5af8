namespace ProcWatch.Kernel.Enforcement;

/// <summary>
/// Deny rules resolved to what the kernel program looks up (bpf/deny.h): rules by index, file
/// and directory identities naming rule indexes, the fileless and any-file lists, and the
/// SHA-256 digests whose files are added to <see cref="Files"/> as ProcWatch hashes them.
/// Built by <see cref="DenyPolicyCompiler"/>; written to the maps by <see cref="DenyPolicyWriter.Apply"/>.
/// </summary>
internal sealed class KernelPolicy
{
    public required IReadOnlyList<DenyRule> Rules { get; init; }
    public required deny_rule[] KernelRules { get; init; }
    public Dictionary<FileIdentity, List<uint>> Files { get; } = [];
    public Dictionary<FileIdentity, List<uint>> Directories { get; } = [];
    public List<uint> Fileless { get; } = [];
    public List<uint> AnyFile { get; } = [];

    /// <summary>Lower-case hex digest to the rules naming it.</summary>
    public Dictionary<string, List<uint>> Hashes { get; } = new(StringComparer.Ordinal);

    public static KernelPolicy Empty { get; } = new() { Rules = [], KernelRules = [] };

    internal deny_gen_flags Flags =>
        (Files.Count > 0 || Hashes.Count > 0 ? deny_gen_flags.DENY_GEN_FILES : 0)
        | (Directories.Count > 0 ? deny_gen_flags.DENY_GEN_DIRS : 0)
        | (Fileless.Count > 0 ? deny_gen_flags.DENY_GEN_FILELESS : 0)
        | (AnyFile.Count > 0 ? deny_gen_flags.DENY_GEN_ANY : 0)
        | (Array.Exists(KernelRules, r => (r.flags & deny_rule_flags.DENY_RULE_PARENT) != 0) ? deny_gen_flags.DENY_GEN_PARENT : 0);
}
