using System.Runtime.InteropServices;
using System.Text;
using ProcWatch.Kernel.Ebpf;
using Xunit;

namespace ProcWatch.Tests.Kernel.Ebpf;

/// <summary>
/// The real kernel: what <see cref="BtfLoadMemory.ReleaseCleanFilePages"/> unmaps is read back
/// unchanged, and a read-only mapping with a private copy keeps it. Narrowed to the test's own
/// file: the test host's other mappings are left alone.
/// </summary>
public sealed partial class BtfLoadMemoryTests : IDisposable
{
    private const int PROT_READ = 1, PROT_WRITE = 2, MAP_PRIVATE = 2;
    private const int Pages = 16;
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"pw-btfmem-{Environment.ProcessId}-{Guid.NewGuid():N}");
    private readonly int _page = Environment.SystemPageSize;

    public BtfLoadMemoryTests()
    {
        byte[] content = new byte[Pages * _page];
        for (int i = 0; i < content.Length; i++)
            content[i] = (byte)(i * 7 + i / _page);
        File.WriteAllBytes(_path, content);
    }

    public void Dispose() => File.Delete(_path);

    [Fact]
    public unsafe void CleanPagesOfAReadOnlyFileMappingAreUnmappedAndReadBackTheSame()
    {
        byte[] expected = File.ReadAllBytes(_path);
        using FileStream file = File.OpenRead(_path);
        byte* map = Map(file, PROT_READ);
        try
        {
            Assert.Equal(expected, new ReadOnlySpan<byte>(map, expected.Length).ToArray()); // every page touched
            Assert.Equal(Pages * _page / 1024, ResidentKb(map));

            long released = BtfLoadMemory.ReleaseCleanFilePages(Encoding.UTF8.GetBytes(_path));

            Assert.Equal(Pages * _page / 1024, released);
            Assert.Equal(0, ResidentKb(map));
            Assert.Equal(expected, new ReadOnlySpan<byte>(map, expected.Length).ToArray()); // mapped again from the page cache
        }
        finally
        {
            Assert.Equal(0, munmap(map, (nuint)(Pages * _page)));
        }
    }

    [Fact]
    public unsafe void AReadOnlyMappingWithAPrivateCopyKeepsIt()
    {
        // As the dynamic loader leaves a relocated RELRO segment: written privately, then made read-only.
        using FileStream file = File.OpenRead(_path);
        byte* map = Map(file, PROT_READ | PROT_WRITE);
        try
        {
            for (int i = 0; i < Pages * _page; i += _page)
                _ = map[i]; // every page resident
            map[3 * _page] = (byte)~map[3 * _page];
            byte written = map[3 * _page];
            Assert.Equal(0, mprotect(map, (nuint)(Pages * _page), PROT_READ));

            Assert.Equal(0, BtfLoadMemory.ReleaseCleanFilePages(Encoding.UTF8.GetBytes(_path)));

            Assert.Equal(written, map[3 * _page]); // not the file's byte again
            Assert.Equal(Pages * _page / 1024, ResidentKb(map));
        }
        finally
        {
            Assert.Equal(0, munmap(map, (nuint)(Pages * _page)));
        }
    }

    private unsafe byte* Map(FileStream file, int prot)
    {
        void* map = mmap(null, (nuint)(Pages * _page), prot, MAP_PRIVATE, (int)file.SafeFileHandle.DangerousGetHandle(), 0);
        Assert.NotEqual(-1, (nint)map);
        return (byte*)map;
    }

    /// <summary>Rss of the mapping that starts at <paramref name="map"/>, from /proc/self/smaps.</summary>
    private static unsafe long ResidentKb(byte* map)
    {
        string start = ((ulong)map).ToString("x", System.Globalization.CultureInfo.InvariantCulture) + "-";
        bool inside = false;
        foreach (string line in File.ReadLines("/proc/self/smaps"))
        {
            if (line.StartsWith(start, StringComparison.Ordinal))
                inside = true;
            else if (inside && line.StartsWith("Rss:", StringComparison.Ordinal))
                return long.Parse(line["Rss:".Length..].Replace("kB", "", StringComparison.Ordinal).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        }
        throw new InvalidOperationException("mapping not found in /proc/self/smaps");
    }

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial void* mmap(void* addr, nuint length, int prot, int flags, int fd, long offset);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int munmap(void* addr, nuint length);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int mprotect(void* addr, nuint length, int prot);
}
