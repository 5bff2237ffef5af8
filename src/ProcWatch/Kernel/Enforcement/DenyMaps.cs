using System.Diagnostics.CodeAnalysis;
using ProcWatch.Interop;

namespace ProcWatch.Kernel.Enforcement;

/// <summary>The file descriptors of deny.bpf.o's maps (valid while its <see cref="DenyProgram"/> lives).</summary>
internal sealed record DenyMaps(int Events, int Counters, int Active, int Generations, int Rules, int Files, int Directories, int ProtectedTgids, int ProtectedFiles)
{
    internal static bool TryFind(nint obj, [NotNullWhen(true)] out DenyMaps? maps)
    {
        int Fd(string name)
        {
            nint map = Libbpf.bpf_object__find_map_by_name(obj, name);
            return map == 0 ? -1 : Libbpf.bpf_map__fd(map);
        }
        maps = new DenyMaps(Fd("deny_events"), Fd("deny_counters"), Fd("deny_active"), Fd("deny_gens"), Fd("deny_rules"),
            Fd("deny_files"), Fd("deny_dirs"), Fd("deny_protected_tgids"), Fd("deny_protected_files"));
        if (maps.Events < 0 || maps.Counters < 0 || maps.Active < 0 || maps.Generations < 0 || maps.Rules < 0 ||
            maps.Files < 0 || maps.Directories < 0 || maps.ProtectedTgids < 0 || maps.ProtectedFiles < 0)
        {
            maps = null;
            return false;
        }
        return true;
    }
}
