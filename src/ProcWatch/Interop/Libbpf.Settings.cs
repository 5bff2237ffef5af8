using System.Runtime.InteropServices;

namespace ProcWatch.Interop;

/// <summary>libbpf calls that set a program's globals before load (the skeleton-less way to fill .rodata).</summary>
internal static unsafe partial class Libbpf
{
    /// <summary>Replaces a global-data map's (.rodata, .data, .bss...) initial contents; size must be the map's value size. Before load only.</summary>
    [LibraryImport(Name)]
    internal static partial int bpf_map__set_initial_value(nint map, void* data, nuint size);

    [LibraryImport(Name)]
    internal static partial uint bpf_map__value_size(nint map);
}
