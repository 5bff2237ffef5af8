using System.Runtime.InteropServices;

namespace ProcWatch.Interop;

/// <summary>
/// libbpf 1.x (Debian <c>libbpf1</c>). Every function returning a pointer returns null on
/// failure and sets errno; every function returning int returns a negative errno.
/// Pointers to libbpf's opaque objects are plain <see cref="nint"/>s; ownership lives in
/// <see cref="Kernel.Ebpf.SafeBpfObjectHandle"/> and <see cref="Kernel.Ebpf.SafeBpfLinkHandle"/>. The ring buffer
/// is read without libbpf (<see cref="Kernel.Ebpf.MmapRingBuffer"/>). Functions keep libbpf's
/// names (bpf_object__open_mem...) so they can be looked up in libbpf.h as they are.
/// </summary>
internal static unsafe partial class Libbpf
{
    internal const string Name = "libbpf.so.1";

    internal const int LIBBPF_WARN = 0;

    [LibraryImport(Name, SetLastError = true)]
    internal static partial nint bpf_object__open_mem(void* obj_buf, nuint obj_buf_sz, void* opts);

    [LibraryImport(Name)]
    internal static partial int bpf_object__load(nint obj);

    [LibraryImport(Name)]
    internal static partial void bpf_object__close(nint obj);

    [LibraryImport(Name, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint bpf_object__find_program_by_name(nint obj, string name);

    [LibraryImport(Name, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint bpf_object__find_map_by_name(nint obj, string name);

    [LibraryImport(Name)]
    internal static partial int bpf_map__fd(nint map);

    [LibraryImport(Name)]
    internal static partial int bpf_map__set_max_entries(nint map, uint max_entries);

    [LibraryImport(Name, SetLastError = true)]
    internal static partial nint bpf_program__attach(nint prog);

    [LibraryImport(Name)]
    internal static partial int bpf_program__set_autoload(nint prog, [MarshalAs(UnmanagedType.U1)] bool autoload);

    [LibraryImport(Name)]
    internal static partial int bpf_link__destroy(nint link);

    [LibraryImport(Name)]
    internal static partial int bpf_program__fd(nint prog);

    [LibraryImport(Name)]
    internal static partial int bpf_map_lookup_elem(int fd, void* key, void* value);

    [LibraryImport(Name)]
    internal static partial int bpf_map_update_elem(int fd, void* key, void* value, ulong flags);

    [LibraryImport(Name)]
    internal static partial int libbpf_num_possible_cpus();

    [LibraryImport(Name)]
    internal static partial nint libbpf_set_print(delegate* unmanaged<int, byte*, nint, int> fn);
}
