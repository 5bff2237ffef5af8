using System.Runtime.InteropServices;

namespace ProcWatch.Interop;

/// <summary>libbpf calls used only by the deny-rule enforcement (Kernel/Enforcement).</summary>
internal static unsafe partial class Libbpf
{
    [LibraryImport(Name)]
    internal static partial int bpf_map_delete_elem(int fd, void* key);

    /// <summary>The denial ring is read with libbpf's reader: denials are rare, the callback cost does not matter there.</summary>
    [LibraryImport(Name, SetLastError = true)]
    internal static partial nint ring_buffer__new(int map_fd, delegate* unmanaged<nint, void*, nuint, int> sample_cb, nint ctx, void* opts);

    [LibraryImport(Name)]
    internal static partial int ring_buffer__poll(nint rb, int timeout_ms);

    [LibraryImport(Name)]
    internal static partial int ring_buffer__consume(nint rb);

    [LibraryImport(Name)]
    internal static partial void ring_buffer__free(nint rb);
}
