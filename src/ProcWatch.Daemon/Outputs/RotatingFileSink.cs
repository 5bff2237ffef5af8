using System.Buffers;
using System.Runtime.InteropServices;
using ProcWatch.Events;
using ProcWatch.Files;
using ProcWatch.Interop;

namespace ProcWatch.Output.Sinks;

/// <summary>
/// JSON lines appended to a file, rotated by size: <c>events.json</c> → <c>events.json.1</c>
/// → … → <c>events.json.KEEP</c> (older ones deleted). Rotation happens only between whole
/// lines, so no line is split or lost across files. A failed write (disk full) is cut back
/// to the last whole line, dropped and counted, reported (see <see cref="FailureLatch"/>); the
/// next flush tries again. The file is opened O_APPEND, like the CLI's <c>-o</c>: every write
/// lands at the end as it is then, so another writer's lines are never overwritten and after
/// a copytruncate rotation (logrotate) writing goes on at the new start, with no hole.
/// The directory is held open (<see cref="SafeDirectory"/>, root's or ours, not writable by
/// others but with the sticky bit) and every open, rename and delete is relative to it, never
/// following a link: a link planted at any of the names is refused or replaced, not written
/// through. New files are 0600.
/// </summary>
internal sealed class RotatingFileSink : IOutputSink
{
    private const int FlushThreshold = 256 * 1024;
    private readonly string _path;
    private readonly long _maxBytes;
    private readonly int _keep;
    private readonly Action<string> _report;
    private readonly FailureLatch _latch;
    private readonly ArrayBufferWriter<byte> _pending = new(FlushThreshold + 4096);
    private long _pendingLines;
    private int _fd = -1;
    private SafeDirectory? _directory;
    private readonly string _name;
    /// <summary>The file's size after our last write (others' appends included), for rotation.</summary>
    private long _size;

    /// <param name="maxBytes">Rotate before a line would make the file larger; 0 = never rotate.</param>
    /// <param name="keep">Rotated files kept.</param>
    /// <exception cref="IOException">The file cannot be opened at start (message says why).</exception>
    public RotatingFileSink(string path, long maxBytes, int keep, Action<string> report)
    {
        _path = System.IO.Path.GetFullPath(path);
        _name = System.IO.Path.GetFileName(_path);
        _maxBytes = maxBytes;
        _keep = keep;
        _report = report;
        Name = "file:" + _path;
        _latch = new FailureLatch(Name, report);
        Open();
    }

    public string Name { get; }

    public OutputCounters Counters { get; } = new();

    public string Path => _path;

    public void Write(ProcessEvent e, AlertInfo? alert, ReadOnlySpan<byte> jsonLine)
    {
        long buffered = _size + _pending.WrittenCount;
        if (_maxBytes > 0 && buffered > 0 && buffered + jsonLine.Length > _maxBytes)
        {
            Flush();
            Rotate();
        }
        _pending.Write(jsonLine);
        _pendingLines++;
        if (_pending.WrittenCount >= FlushThreshold)
            Flush();
    }

    public void Flush()
    {
        if (_pendingLines == 0)
            return;
        try
        {
            if (_fd < 0)
                Open();
            int errno = Append(_pending.WrittenSpan, out long written);
            if (errno == 0)
            {
                Counters.OnWritten(_pendingLines);
                _latch.Succeeded();
            }
            else
            {
                CutBack(written);
                Counters.OnDropped(_pendingLines);
                _latch.Failed($"cannot write: {Marshal.GetPInvokeErrorMessage(errno)}", _pendingLines);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Counters.OnDropped(_pendingLines);
            _latch.Failed($"cannot write: {ex.Message}", _pendingLines);
        }
        finally
        {
            _pending.ResetWrittenCount();
            _pendingLines = 0;
        }
    }

    /// <summary>write(2) to the O_APPEND descriptor until all is written; 0, or the errno with what did get written.</summary>
    private unsafe int Append(ReadOnlySpan<byte> data, out long written)
    {
        written = 0;
        fixed (byte* start = data)
        {
            while (written < data.Length)
            {
                nint n = Libc.Write(_fd, start + written, (nuint)(data.Length - written));
                if (n < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == Libc.EINTR)
                        continue;
                    return errno;
                }
                written += n;
            }
        }
        _size = Libc.LSeek(_fd, 0, Libc.SEEK_CUR); // O_APPEND: the end of what we just wrote
        return 0;
    }

    /// <summary>
    /// Removes the start of a batch a full disk cut short, so no partial line stays — only when
    /// it is still the file's end (nobody appended after it: their lines are never cut).
    /// </summary>
    private void CutBack(long written)
    {
        if (written == 0)
            return;
        long end = Libc.LSeek(_fd, 0, Libc.SEEK_CUR);
        if (end >= written && Libc.LSeek(_fd, 0, Libc.SEEK_END) == end)
            Libc.Ftruncate(_fd, end - written);
        _size = Libc.LSeek(_fd, 0, Libc.SEEK_END);
    }

    public void Reopen()
    {
        Flush();
        CloseFile();
        try
        {
            Open();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _report($"{Name}: cannot reopen: {ex.Message}");
        }
    }

    public void Dispose()
    {
        Flush();
        CloseFile();
        _directory?.Dispose();
        _directory = null;
    }

    private void CloseFile()
    {
        if (_fd >= 0)
            Libc.Close(_fd);
        _fd = -1;
    }

    /// <summary>Walks to the directory again (it may have been recreated) and opens the file in it.</summary>
    /// <exception cref="UnsafeFileException">The file or its directory is not safe to write as root.</exception>
    /// <exception cref="IOException">The system refused.</exception>
    private void Open()
    {
        SafeDirectory directory = SafeDirectory.Open(System.IO.Path.GetDirectoryName(_path) ?? "/", DirectoryTrust.RootOrOurs, create: true, forPath: _path);
        _directory?.Dispose();
        _directory = directory;
        // Command lines can hold secrets: the owner only (0600).
        _fd = directory.OpenAppend(_name);
        _size = Libc.LSeek(_fd, 0, Libc.SEEK_END);
    }

    private void Rotate()
    {
        CloseFile();
        try
        {
            SafeDirectory directory = _directory ?? throw new IOException("the directory is not open");
            if (_keep <= 0)
            {
                directory.Delete(_name);
            }
            else
            {
                directory.Delete(Numbered(_keep));
                for (int i = _keep - 1; i >= 1; i--)
                {
                    if (directory.Exists(Numbered(i)))
                        directory.Rename(Numbered(i), Numbered(i + 1));
                }
                directory.Rename(_name, Numbered(1));
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _report($"{Name}: cannot rotate: {ex.Message}; writing on in the same file");
        }
        try
        {
            Open();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _latch.Failed($"cannot open: {ex.Message}", 0);
        }
    }

    private string Numbered(int n) => _name + "." + n.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
