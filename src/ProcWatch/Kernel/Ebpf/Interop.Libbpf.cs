using System.Runtime.InteropServices;

namespace ProcWatch.Kernel.Ebpf;

internal static partial class Interop
{
    /// <summary>
    /// libbpf 1.x (Debian <c>libbpf1</c>). Every function returning a pointer returns null on
    /// failure and sets errno; every function returning int returns a negative errno.
    /// Pointers to libbpf's opaque objects are plain <see cref="nint"/>s; ownership lives in
    /// <see cref="SafeBpfObjectHandle"/> and <see cref="SafeBpfLinkHandle"/>. The ring buffer
    /// is read without libbpf (<see cref="MmapRingBuffer"/>).
    /// </summary>
    internal static unsafe partial class Libbpf
    {
        internal const string LibraryName = "libbpf.so.1";

        internal const int LIBBPF_WARN = 0;

        [LibraryImport(LibraryName, SetLastError = true)]
        internal static partial nint bpf_object__open_mem(void* obj_buf, nuint obj_buf_sz, void* opts);

        [LibraryImport(LibraryName)]
        internal static partial int bpf_object__load(nint obj);

        [LibraryImport(LibraryName)]
        internal static partial void bpf_object__close(nint obj);

        [LibraryImport(LibraryName, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial nint bpf_object__find_program_by_name(nint obj, string name);

        [LibraryImport(LibraryName, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial nint bpf_object__find_map_by_name(nint obj, string name);

        [LibraryImport(LibraryName)]
        internal static partial int bpf_map__fd(nint map);

        [LibraryImport(LibraryName)]
        internal static partial int bpf_map__set_max_entries(nint map, uint max_entries);

        [LibraryImport(LibraryName, SetLastError = true)]
        internal static partial nint bpf_program__attach(nint prog);

        [LibraryImport(LibraryName)]
        internal static partial int bpf_link__destroy(nint link);

        [LibraryImport(LibraryName)]
        internal static partial int bpf_map_lookup_elem(int fd, void* key, void* value);

        [LibraryImport(LibraryName)]
        internal static partial int bpf_map_update_elem(int fd, void* key, void* value, ulong flags);

        [LibraryImport(LibraryName)]
        internal static partial int libbpf_num_possible_cpus();

        [LibraryImport(LibraryName)]
        internal static partial nint libbpf_set_print(delegate* unmanaged<int, byte*, nint, int> fn);
    }
}
