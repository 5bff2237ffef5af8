using System.Runtime.InteropServices;
using ProcWatch.Core;
using ProcWatch.Interop;

namespace ProcWatch.Kernel.ProcScan;

/// <summary>
/// An inotify descriptor that becomes readable when a program is probably starting: every
/// dynamically linked exec opens the loader, /etc/ld.so.cache and libc, and execs of programs
/// in the bin directories open a file there. inotify says nothing about who; it only wakes
/// the /proc scanner, so the events are drained and counted, never interpreted.
/// </summary>
internal sealed unsafe class ExecWaker : IDisposable
{
    private const int BufferBytes = 4096;

    /// <summary>Directories whose files are opened at exec (IN_OPEN on a directory reports its children).</summary>
    internal static readonly string[] BinDirectories =
        ["/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/local/bin", "/usr/local/sbin"];

    /// <summary>Where dynamic loaders and C libraries live, multiarch subdirectories added at run time.</summary>
    private static readonly string[] LibraryDirectories = ["/lib", "/lib64", "/usr/lib", "/usr/lib64", "/lib32", "/usr/lib32"];

    /// <summary>The dynamic loaders (glibc, musl) and C libraries every dynamically linked program maps.</summary>
    private static readonly string[] LibraryPatterns = ["ld-linux*.so*", "ld-musl-*.so*", "libc.so.6", "libc.musl-*.so*"];

    private readonly byte[] _buffer = GC.AllocateUninitializedArray<byte>(BufferBytes, pinned: true);
    private readonly List<string> _watched = [];
    private int _fd;

    private ExecWaker(int fd) => _fd = fd;

    public int Fd => _fd;

    /// <summary>The resolved paths under watch (files and directories), for diagnostics.</summary>
    public IReadOnlyList<string> WatchedPaths => _watched;

    /// <summary>inotify events drained so far (including the noise of unrelated opens).</summary>
    public long EventCount { get; private set; }

    /// <summary>
    /// Creates the waker and its watches. Returns null with <paramref name="problem"/> set
    /// when inotify is unusable (limits reached, or nothing could be watched).
    /// </summary>
    public static ExecWaker? Create(out string? problem)
    {
        int fd = Libc.InotifyInit1(Libc.IN_NONBLOCK | Libc.IN_CLOEXEC);
        if (fd < 0)
        {
            problem = $"inotify unavailable ({FailureText.Errno(Marshal.GetLastPInvokeError())}): scanning on the timer only";
            return null;
        }
        var waker = new ExecWaker(fd);
        var descriptors = new HashSet<int>();
        foreach (string file in FindExecFiles())
            waker.Watch(file, Libc.IN_OPEN | Libc.IN_ACCESS, descriptors);
        foreach (string directory in BinDirectories)
            waker.Watch(directory, Libc.IN_OPEN | Libc.IN_ONLYDIR, descriptors);
        if (waker._watched.Count == 0)
        {
            waker.Dispose();
            problem = "found no loader, C library or bin directory to watch: scanning on the timer only";
            return null;
        }
        problem = null;
        return waker;
    }

    /// <summary>/etc/ld.so.cache, the dynamic loaders and C libraries, resolved through symlinks, without duplicates.</summary>
    internal static List<string> FindExecFiles()
    {
        var found = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        AddResolved("/etc/ld.so.cache", found, seen);
        foreach (string directory in LibraryDirectoriesWithMultiarch())
        {
            foreach (string pattern in LibraryPatterns)
            {
                IEnumerable<string> files;
                try
                {
                    files = Directory.EnumerateFiles(directory, pattern);
                    foreach (string file in files)
                        AddResolved(file, found, seen);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    // An unreadable or vanished library directory is just not watched.
                }
            }
        }
        return found;
    }

    private static IEnumerable<string> LibraryDirectoriesWithMultiarch()
    {
        foreach (string directory in LibraryDirectories)
        {
            if (!Directory.Exists(directory))
                continue;
            yield return directory;
            string[] subdirectories;
            try
            {
                // Debian/Ubuntu multiarch: /lib/x86_64-linux-gnu, /usr/lib/aarch64-linux-gnu ...
                subdirectories = Directory.GetDirectories(directory, "*-linux-*");
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            foreach (string subdirectory in subdirectories)
                yield return subdirectory;
        }
    }

    private static void AddResolved(string path, List<string> found, HashSet<string> seen)
    {
        string resolved;
        try
        {
            FileSystemInfo? target = File.ResolveLinkTarget(path, returnFinalTarget: true);
            resolved = target?.FullName ?? path;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return;
        }
        if (File.Exists(resolved) && seen.Add(resolved))
            found.Add(resolved);
    }

    private void Watch(string path, uint mask, HashSet<int> descriptors)
    {
        int wd = Libc.InotifyAddWatch(_fd, path, mask);
        // The same inode (a symlinked /bin, a hard link) gives the same descriptor: watch once.
        if (wd >= 0 && descriptors.Add(wd))
            _watched.Add(path);
    }

    /// <summary>Reads and discards every queued inotify event; returns how many there were.</summary>
    public int Drain()
    {
        int events = 0;
        fixed (byte* buffer = _buffer)
        {
            while (true)
            {
                nint read = Libc.Read(_fd, buffer, BufferBytes);
                if (read <= 0)
                {
                    if (read < 0 && Marshal.GetLastPInvokeError() == Libc.EINTR) continue;
                    break; // EAGAIN: drained
                }
                events += CountEvents(new ReadOnlySpan<byte>(buffer, (int)read));
            }
        }
        EventCount += events;
        return events;
    }

    /// <summary>Counts the <c>struct inotify_event</c> records (16-byte header + len bytes of name) in one read.</summary>
    internal static int CountEvents(ReadOnlySpan<byte> events)
    {
        const int HeaderBytes = 16; // wd, mask, cookie, len
        int count = 0;
        int offset = 0;
        while (offset + HeaderBytes <= events.Length)
        {
            uint nameLength = MemoryMarshal.Read<uint>(events.Slice(offset + 12, 4)); // native endianness
            offset += HeaderBytes + (int)Math.Min(nameLength, (uint)events.Length);
            count++;
        }
        return count;
    }

    public void Dispose()
    {
        if (_fd >= 0)
        {
            Libc.Close(_fd);
            _fd = -1;
        }
    }
}
