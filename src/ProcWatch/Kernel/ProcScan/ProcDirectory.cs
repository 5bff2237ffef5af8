using System.Runtime.InteropServices;
using ProcWatch.Core;
using ProcWatch.Interop;

namespace ProcWatch.Kernel.ProcScan;

/// <summary>
/// Lists the process ids in /proc: one open directory, rewound for each listing, read with
/// getdents64 into a reused pinned buffer; pids go into a reused array. A listing allocates
/// nothing once the array has grown to the number of processes.
/// </summary>
internal sealed unsafe class ProcDirectory : IDisposable
{
    private const int BufferBytes = 32 * 1024;
    private readonly byte[] _buffer = GC.AllocateUninitializedArray<byte>(BufferBytes, pinned: true);
    private int _fd;
    private int[] _pids = new int[1024];

    private ProcDirectory(int fd) => _fd = fd;

    public static ProcDirectory Open(string path = "/proc")
    {
        int fd = OpenDirectory(path);
        if (fd < 0)
        {
            throw new ProcWatchException(new Failure(FailureKind.SystemError, Marshal.GetLastPInvokeError(), FailureStep.OpenDirectory, path));
        }
        return new ProcDirectory(fd);
    }

    private static int OpenDirectory(string path)
    {
        int length = System.Text.Encoding.UTF8.GetByteCount(path);
        Span<byte> pathNul = length < 256 ? stackalloc byte[length + 1] : new byte[length + 1];
        System.Text.Encoding.UTF8.GetBytes(path, pathNul);
        pathNul[length] = 0;
        fixed (byte* p = pathNul)
            return Libc.OpenAt(Libc.AT_FDCWD, p, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0);
    }

    /// <summary>
    /// Lists the pids now in /proc (in the kernel's order: ascending). The returned span is
    /// valid until the next call. Returns an empty span if the directory cannot be read.
    /// </summary>
    public ReadOnlySpan<int> ListPids()
    {
        ObjectDisposedException.ThrowIf(_fd < 0, this);
        if (Libc.LSeek(_fd, 0, Libc.SEEK_SET) < 0)
            return [];
        int count = 0;
        fixed (byte* buffer = _buffer)
        {
            while (true)
            {
                nint read = Libc.GetDents64(_fd, buffer, BufferBytes);
                if (read < 0)
                {
                    if (Marshal.GetLastPInvokeError() == Libc.EINTR) continue;
                    break;
                }
                if (read == 0)
                    break;
                count = ParseEntries(new ReadOnlySpan<byte>(buffer, (int)read), count);
            }
        }
        return new ReadOnlySpan<int>(_pids, 0, count);
    }

    /// <summary>Appends the numeric directory names of one getdents64 result to the pid array.</summary>
    internal int ParseEntries(ReadOnlySpan<byte> entries, int count)
    {
        int offset = 0;
        while (offset + Libc.dirent64_d_name < entries.Length)
        {
            int recordLength = entries[offset + Libc.dirent64_d_reclen] | (entries[offset + Libc.dirent64_d_reclen + 1] << 8);
            if (recordLength <= Libc.dirent64_d_name || offset + recordLength > entries.Length)
                break; // malformed: never read past the record
            if (entries[offset + Libc.dirent64_d_type] == Libc.DT_DIR
                && TryParsePid(entries.Slice(offset + Libc.dirent64_d_name, recordLength - Libc.dirent64_d_name), out int pid))
            {
                if (count == _pids.Length)
                    Array.Resize(ref _pids, _pids.Length * 2);
                _pids[count++] = pid;
            }
            offset += recordLength;
        }
        return count;
    }

    /// <summary>Parses a NUL-terminated decimal name ("1234\0"); anything else ("self", "sys") is not a pid.</summary>
    internal static bool TryParsePid(ReadOnlySpan<byte> name, out int pid)
    {
        pid = 0;
        int i = 0;
        for (; i < name.Length && name[i] != 0; i++)
        {
            uint digit = (uint)(name[i] - '0');
            if (digit > 9 || i >= 10)
                return false;
            long next = (long)pid * 10 + digit;
            if (next > int.MaxValue)
                return false;
            pid = (int)next;
        }
        return i > 0 && pid > 0;
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
