using ProcWatch.Kernel.Ebpf;

namespace ProcWatch.Kernel.Enforcement;

/// <summary>The file descriptors of deny.bpf.o's maps (valid while its <see cref="DenyProgram"/> lives).</summary>
internal sealed record DenyMaps(int Events, int Counters, int Active, int Generations, int Rules, int Files, int Directories, int ProtectedTgids, int ProtectedFiles)
{
    /// <summary>The maps by their names in deny.bpf.c, each one a field below.</summary>
    internal static readonly string[] Names =
        ["deny_events", "deny_counters", "deny_active", "deny_gens", "deny_rules", "deny_files", "deny_dirs", "deny_protected_tgids", "deny_protected_files"];

    /// <summary>The maps of a loaded object (the loader checked that each of <see cref="Names"/> is there).</summary>
    internal static DenyMaps Of(SmallBpfObject obj) => new(
        Events: obj.MapFd("deny_events"),
        Counters: obj.MapFd("deny_counters"),
        Active: obj.MapFd("deny_active"),
        Generations: obj.MapFd("deny_gens"),
        Rules: obj.MapFd("deny_rules"),
        Files: obj.MapFd("deny_files"),
        Directories: obj.MapFd("deny_dirs"),
        ProtectedTgids: obj.MapFd("deny_protected_tgids"),
        ProtectedFiles: obj.MapFd("deny_protected_files"));
}
