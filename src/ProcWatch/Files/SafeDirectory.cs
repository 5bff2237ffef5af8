using System.Runtime.InteropServices;
using ProcWatch.Interop;

namespace ProcWatch.Files;

/// <summary>
/// A directory held open by descriptor, reached from / one component at a time, in which
/// ProcWatch (as root) creates, appends to, renames and deletes its files without ever being
/// redirected: every name is opened relative to the held descriptor with O_NOFOLLOW, and
/// checked with fstat after opening (a regular file, root's or ours, not writable by group or
/// others, one link). A symbolic link on the way to the directory is followed only when root
/// or we own it (as the kernel's protected_symlinks would, which many hosts turn off). Anything
/// else is an <see cref="UnsafeFileException"/>, one line, and nothing is written.
/// </summary>
internal sealed class SafeDirectory : IDisposable
{
    /// <summary>New event files: the owner only (events carry argv, environments).</summary>
    public const int PrivateFileMode = 0b110_000_000; // 0600
    private const int PrivateDirectoryMode = 0b111_000_000; // 0700
    private const int DirectoryMode = 0b111_101_000; // 0750
    private int _fd;

    private SafeDirectory(int fd, string path)
    {
        _fd = fd;
        Path = path;
    }

    /// <summary>The absolute path it was opened by (for messages).</summary>
    public string Path { get; }

    /// <summary>The descriptor (valid until disposed).</summary>
    public int Descriptor => _fd;

    /// <summary>A path that names this very directory whatever happens to <see cref="Path"/> later (for APIs that take a path, such as enumeration).</summary>
    public string DescriptorPath => "/proc/self/fd/" + _fd.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static uint Us => Libc.GetEuid();

    /// <summary>Opens (creating missing directories, 0750, the last one 0700 when private) the directory <paramref name="path"/>.</summary>
    /// <exception cref="UnsafeFileException">A link on the way, or the directory, fails <paramref name="trust"/>.</exception>
    /// <exception cref="IOException">The system refused (message says why).</exception>
    /// <param name="forPath">The file the directory is opened for, named in a refusal of a link on the way (default: the directory).</param>
    public static SafeDirectory Open(string path, DirectoryTrust trust, bool create, string? forPath = null)
    {
        string full = System.IO.Path.GetFullPath(path);
        string named = forPath ?? full;
        int fd = Libc.OpenAt(Libc.AT_FDCWD, "/", Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0);
        if (fd < 0)
            throw SystemError("cannot open /");
        try
        {
            string[] parts = full.Split('/', StringSplitOptions.RemoveEmptyEntries);
            for (int i = 0; i < parts.Length; i++)
            {
                bool last = i == parts.Length - 1;
                int mode = last && trust == DirectoryTrust.Private ? PrivateDirectoryMode : DirectoryMode;
                // On the way, O_PATH: a directory we may search but not read (0711) is still a way through.
                int next = Step(fd, parts[i], named, create, mode, last ? Libc.O_RDONLY : Libc.O_PATH);
                Libc.Close(fd);
                fd = next;
            }
            Check(fd, full, trust);
            var opened = new SafeDirectory(fd, full);
            fd = -1;
            return opened;
        }
        finally
        {
            if (fd >= 0)
                Libc.Close(fd);
        }
    }

    /// <summary>A directory inside this one, by name (created 0700 when private and missing).</summary>
    public SafeDirectory OpenSubdirectory(string name, DirectoryTrust trust, bool create)
    {
        string full = Combine(name);
        int fd = Step(_fd, name, full, create, trust == DirectoryTrust.Private ? PrivateDirectoryMode : DirectoryMode, Libc.O_RDONLY, followOwnLinks: false);
        try
        {
            Check(fd, full, trust);
        }
        catch
        {
            Libc.Close(fd);
            throw;
        }
        return new SafeDirectory(fd, full);
    }

    /// <summary>One component: the directory itself, or (only when root or we own the link) where its symbolic link leads.</summary>
    private static int Step(int dirFd, string name, string full, bool create, int mode, int access, bool followOwnLinks = true)
    {
        for (int attempt = 0; ; attempt++)
        {
            int fd = Libc.OpenAt(dirFd, name, access | Libc.O_DIRECTORY | Libc.O_NOFOLLOW | Libc.O_CLOEXEC, 0);
            if (fd >= 0)
                return fd;
            int errno = Marshal.GetLastPInvokeError();
            if (errno == Libc.ENOENT && create && attempt < 3)
            {
                if (Libc.MkdirAt(dirFd, name, mode) != 0 && Marshal.GetLastPInvokeError() != Libc.EEXIST)
                    throw SystemError($"cannot create directory {name} for {full}");
                continue; // open what we made (or what raced us: it is checked the same way)
            }
            if (errno is Libc.ELOOP or Libc.ENOTDIR && FileStatus.TryOfName(dirFd, name, out FileStatus link) && link.IsSymbolicLink)
            {
                if (!followOwnLinks || (link.Uid != 0 && link.Uid != Us))
                    throw new UnsafeFileException(full, $"{name} on its path is a symbolic link owned by uid {link.Uid}; procwatch follows only root's or its own");
                fd = Libc.OpenAt(dirFd, name, access | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0);
                if (fd >= 0)
                    return fd;
                errno = Marshal.GetLastPInvokeError();
            }
            throw new IOException($"cannot open {full}: {name}: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
        }
    }

    private static void Check(int fd, string full, DirectoryTrust trust)
    {
        if (!FileStatus.TryOf(fd, out FileStatus st))
            throw SystemError($"cannot fstat {full}");
        if (!st.IsDirectory)
            throw new UnsafeFileException(full, "is not a directory");
        switch (trust)
        {
            case DirectoryTrust.Private:
                if (st.Uid != Us)
                    throw new UnsafeFileException(full, $"belongs to uid {st.Uid}; this directory must be procwatch's own (uid {Us})");
                if (st.WritableByOthers)
                    throw new UnsafeFileException(full, $"is writable by group or others (mode {st.OctalMode}); it must be 0700 or 0750");
                break;
            case DirectoryTrust.RootOrOurs:
                if (st.Uid != 0 && st.Uid != Us)
                    throw new UnsafeFileException(full, $"belongs to uid {st.Uid}, who could replace what procwatch writes in it; use a directory of root's");
                if (st.WritableByOthers && !st.Sticky)
                    throw new UnsafeFileException(full, $"is writable by group or others without the sticky bit (mode {st.OctalMode}), so anyone could replace what procwatch writes in it");
                break;
        }
    }

    /// <summary>Opens <paramref name="name"/> for appending, creating it 0600 when missing; returns the descriptor (O_APPEND, O_CLOEXEC).</summary>
    /// <param name="allowStreams">
    /// Also take a fifo or character device that root or we own (<c>-o /dev/null</c>, a fifo a
    /// reader waits on): nobody else can have made it, and it is written, never renamed. A fifo
    /// without a reader is then waited for, as open(2) does; someone else's never is.
    /// </param>
    public int OpenAppend(string name, bool allowStreams = false) =>
        OpenFile(name, Libc.O_WRONLY | Libc.O_CREAT | Libc.O_APPEND, PrivateFileMode, allowStreams);

    /// <summary>Creates <paramref name="name"/> 0600, failing (EEXIST) when anything has that name; returns a write descriptor.</summary>
    public int CreateNew(string name) =>
        OpenFile(name, Libc.O_WRONLY | Libc.O_CREAT | Libc.O_EXCL, PrivateFileMode);

    /// <summary>Opens <paramref name="name"/> read-write, creating it 0600 when missing (a lock file).</summary>
    public int OpenReadWrite(string name) =>
        OpenFile(name, Libc.O_RDWR | Libc.O_CREAT, PrivateFileMode);

    /// <summary>Opens an existing <paramref name="name"/> to read, with the same checks (a spooled batch, a key).</summary>
    public int OpenRead(string name) => OpenFile(name, Libc.O_RDONLY, 0);

    /// <summary>
    /// openat with O_NOFOLLOW (a link is refused, never followed), O_NONBLOCK (a planted fifo
    /// cannot make us wait for a reader) and O_NOCTTY, then the fstat checks.
    /// </summary>
    /// <exception cref="UnsafeFileException">It is not a file procwatch may write.</exception>
    /// <exception cref="IOException">The system refused (HResult is the errno: ENOSPC, EEXIST...).</exception>
    private int OpenFile(string name, int flags, int mode, bool allowStreams = false)
    {
        string full = Combine(name);
        int fd;
        do fd = Libc.OpenAt(_fd, name, flags | Libc.O_NOFOLLOW | Libc.O_CLOEXEC | Libc.O_NONBLOCK | Libc.O_NOCTTY, mode);
        while (fd < 0 && Marshal.GetLastPInvokeError() == Libc.EINTR);
        if (fd < 0 && allowStreams && Marshal.GetLastPInvokeError() == Libc.ENXIO && FileStatus.TryOfName(_fd, name, out FileStatus fifo) && IsOwnStream(fifo))
        {
            do fd = Libc.OpenAt(_fd, name, flags | Libc.O_NOFOLLOW | Libc.O_CLOEXEC | Libc.O_NOCTTY, mode); // our own fifo: wait for its reader
            while (fd < 0 && Marshal.GetLastPInvokeError() == Libc.EINTR);
        }
        if (fd < 0)
        {
            // ELOOP for a link, ENXIO for a fifo nobody reads, and on some kernels EACCES for a
            // link in a sticky directory: say what is there when it is something we refuse anyway.
            int errno = Marshal.GetLastPInvokeError();
            if (errno != Libc.ENOENT && FileStatus.TryOfName(_fd, name, out FileStatus what))
            {
                if (what.IsSymbolicLink)
                    throw new UnsafeFileException(full, $"is a symbolic link (owned by uid {what.Uid}); procwatch never writes through one");
                if (!what.IsRegular && !what.IsDirectory)
                    throw new UnsafeFileException(full, "is not a regular file");
                if (what.IsRegular && what.Uid != 0 && what.Uid != Us)
                    throw new UnsafeFileException(full, $"belongs to uid {what.Uid}; procwatch writes only its own or root's files");
            }
            throw new IOException($"cannot open {full}: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
        }
        try
        {
            if (allowStreams && FileStatus.TryOf(fd, out FileStatus stream) && IsOwnStream(stream))
                ClearNonBlocking(fd, full); // writes to a full fifo block, as they did before
            else
                CheckFile(fd, full);
        }
        catch
        {
            Libc.Close(fd);
            throw;
        }
        return fd;
    }

    private static bool IsOwnStream(FileStatus st) => (st.IsFifo || st.IsCharacterDevice) && (st.Uid == 0 || st.Uid == Us);

    private static void ClearNonBlocking(int fd, string path)
    {
        int flags = Libc.Fcntl(fd, Libc.F_GETFL, 0);
        if (flags < 0 || Libc.Fcntl(fd, Libc.F_SETFL, flags & ~Libc.O_NONBLOCK) < 0)
            throw new IOException($"cannot fcntl {path}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
    }

    /// <summary>The fstat checks on an open file: regular, root's or ours, not writable by group or others, one name only.</summary>
    public static void CheckFile(int fd, string path)
    {
        if (!FileStatus.TryOf(fd, out FileStatus st))
            throw new IOException($"cannot fstat {path}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        if (!st.IsRegular)
            throw new UnsafeFileException(path, "is not a regular file");
        if (st.Uid != 0 && st.Uid != Us)
            throw new UnsafeFileException(path, $"belongs to uid {st.Uid}; procwatch writes only its own or root's files");
        if (st.WritableByOthers)
            throw new UnsafeFileException(path, $"is writable by group or others (mode {st.OctalMode})");
        if (st.Links != 1)
            throw new UnsafeFileException(path, $"has {st.Links} hard links (another name of it could be a system file)");
    }

    /// <summary>True when something (a link included, not followed) has this name.</summary>
    public bool Exists(string name) => FileStatus.TryOfName(_fd, name, out _);

    /// <summary>renameat within this directory: replaces what has the name <paramref name="to"/> (a link is replaced, not followed).</summary>
    /// <exception cref="IOException">The system refused.</exception>
    public void Rename(string from, string to)
    {
        if (Libc.RenameAt(_fd, from, _fd, to) != 0)
            throw SystemError($"cannot rename {Combine(from)} to {to}");
    }

    /// <summary>Moves <paramref name="name"/> into <paramref name="target"/> (another held directory) under <paramref name="newName"/>.</summary>
    public void MoveTo(string name, SafeDirectory target, string newName)
    {
        if (Libc.RenameAt(_fd, name, target._fd, newName) != 0)
            throw SystemError($"cannot move {Combine(name)} to {target.Path}");
    }

    /// <summary>unlinkat (a link is removed, never followed); false when nothing had the name.</summary>
    /// <exception cref="IOException">The system refused.</exception>
    public bool Delete(string name)
    {
        if (Libc.UnlinkAt(_fd, name, 0) == 0)
            return true;
        int errno = Marshal.GetLastPInvokeError();
        if (errno == Libc.ENOENT)
            return false;
        throw new IOException($"cannot delete {Combine(name)}: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
    }

    /// <summary>fsync of the directory: makes a rename in it durable.</summary>
    public void Sync()
    {
        if (Libc.Fsync(_fd) != 0)
            throw SystemError($"cannot fsync {Path}");
    }

    /// <summary>The names in it (files and links; not followed), for enumeration.</summary>
    public IEnumerable<string> Names()
    {
        foreach (string entry in Directory.EnumerateFileSystemEntries(DescriptorPath))
            yield return System.IO.Path.GetFileName(entry);
    }

    public string Combine(string name) => Path == "/" ? "/" + name : Path + "/" + name;

    public void Dispose()
    {
        if (_fd >= 0)
            Libc.Close(_fd);
        _fd = -1;
    }

    /// <summary>The last call's errno as an IOException: "<paramref name="doing"/>: strerror", HResult the errno.</summary>
    private static IOException SystemError(string doing)
    {
        int errno = Marshal.GetLastPInvokeError();
        return new IOException($"{doing}: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
    }
}
