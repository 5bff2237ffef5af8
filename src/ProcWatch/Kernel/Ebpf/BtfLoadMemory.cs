using System.Runtime.InteropServices;
using ProcWatch.Interop;
using ProcWatch.Kernel.ProcFs;

namespace ProcWatch.Kernel.Ebpf;

/// <summary>
/// Keeps libbpf's load of the kernel's BTF from setting procwatch's peak RSS. libbpf 1.1.2
/// reads /sys/kernel/btf/vmlinux (5.5 MB) into a malloc'd buffer and copies it into its btf
/// object (about 11 MB for a moment, freed once the object is loaded): whatever is resident
/// just before <c>bpf_object__load</c> plus those 11 MB is the process's VmHWM. Much of what is
/// resident then is the executable's own clean pages that start-up touched once (its code and
/// read-only data, 6–7 MB of NativeAOT image; the kernel maps up to 64 KiB around each touched
/// page), which <see cref="ReleaseCleanFilePages"/> drops; the pages used again afterwards are
/// mapped again from the page cache. And glibc's mmap threshold is fixed before the first load, so a second
/// object's copies are mapped and unmapped too, not left in the heap. Opt-in (<see cref="Enabled"/>):
/// the procwatch executable turns it on; a host that embeds the library keeps its own process's
/// memory policy. docs/notes/NOTES-issue26-bench.md, "Session 6".
/// </summary>
/// <remarks>
/// Only the executable's mappings, never a library's: MADV_DONTNEED discards a private page
/// outright, and other threads run while smaps is read and the advice given. The executable's
/// read-only mappings are relocated before <c>Main</c> and never written or unmapped after it;
/// a library's can be (the loader's relocation of one being loaded, a uprobe's breakpoint page),
/// and a range unmapped and reused meanwhile could hold live data. What remains possible: a
/// uprobe set on procwatch's own code in that instant loses its breakpoint page (the probe
/// misses; nothing of procwatch's changes).
/// </remarks>
internal static class BtfLoadMemory
{
    /// <summary>Give back clean file pages before each BPF object load (the executable sets it at start).</summary>
    internal static bool Enabled { get; set; }

    /// <summary>glibc's default threshold, kept fixed (no dynamic raise).</summary>
    private const int MmapThresholdBytes = 128 * 1024;

    private static bool _mmapThresholdFixed;

    /// <summary>Called right before each <c>bpf_object__load</c>.</summary>
    internal static void BeforeLoad()
    {
        if (!Enabled)
            return;
        if (!_mmapThresholdFixed)
        {
            // glibc raises its mmap threshold to the size of a freed mapped block: after the first
            // load freed its 5.5 MB buffers, a second object's (deny rules, failed execs) would come
            // from the heap and stay resident there. A fixed threshold turns that off.
            try
            {
                _mmapThresholdFixed = Libc.MallOpt(Libc.M_MMAP_THRESHOLD, MmapThresholdBytes) == 1;
            }
            catch (EntryPointNotFoundException)
            {
                _mmapThresholdFixed = true; // not glibc: nothing to fix
            }
        }
        if (ExecutablePath is { Length: > 0 } executable)
            ReleaseCleanFilePages(executable);
    }

    /// <summary>The executable's path as smaps names its mappings (null: unknown, nothing is released).</summary>
    private static byte[]? ExecutablePath => s_executablePath ??= Environment.ProcessPath is { } path ? System.Text.Encoding.UTF8.GetBytes(path) : [];

    private static byte[]? s_executablePath;

    /// <summary>
    /// Drops the resident pages of this process's clean file mappings (<see cref="CleanFileMappings"/>);
    /// returns the kB that were resident in them. Of a mapping nobody writes or unmaps meanwhile nothing is lost: the next touch of such a page
    /// maps it again from the page cache. Best effort: an unreadable smaps releases nothing.
    /// </summary>
    /// <param name="onlyPath">Only the mappings of this file (the executable; tests: a file of their own); empty: every file (tests only: see the remarks).</param>
    internal static unsafe long ReleaseCleanFilePages(ReadOnlySpan<byte> onlyPath = default)
    {
        const int MaxRanges = 512;
        Span<(ulong Start, ulong End)> ranges = stackalloc (ulong, ulong)[MaxRanges];
        int count = 0;
        long releasedKb = 0;
        int fd;
        fixed (byte* path = "/proc/self/smaps\0"u8)
            fd = Libc.OpenAt(Libc.AT_FDCWD, path, Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
        if (fd < 0)
            return 0;
        try
        {
            var parser = new CleanFileMappings(onlyPath);
            Span<byte> buffer = stackalloc byte[16 * 1024];
            int held = 0; // bytes of an unfinished line at the buffer's start
            while (true)
            {
                nint n;
                fixed (byte* b = buffer)
                    n = Libc.Read(fd, b + held, (nuint)(buffer.Length - held));
                if (n < 0 && Marshal.GetLastPInvokeError() == Libc.EINTR)
                    continue;
                if (n <= 0)
                    break;
                ReadOnlySpan<byte> text = buffer[..(held + (int)n)];
                int newline;
                while ((newline = text.IndexOf((byte)'\n')) >= 0)
                {
                    if (parser.Line(text[..newline], out ulong start, out ulong end, out long kb) && count < MaxRanges)
                    {
                        ranges[count++] = (start, end);
                        releasedKb += kb;
                    }
                    text = text[(newline + 1)..];
                }
                held = text.Length;
                if (held == buffer.Length)
                    held = 0; // a line longer than the buffer (a path of 16 KiB): drop it
                text.CopyTo(buffer);
            }
        }
        finally
        {
            Libc.Close(fd);
        }
        foreach ((ulong start, ulong end) in ranges[..count])
            _ = Libc.Madvise((nuint)start, (nuint)(end - start), Libc.MADV_DONTNEED); // EINVAL (locked pages): left as they are
        return releasedKb;
    }
}
