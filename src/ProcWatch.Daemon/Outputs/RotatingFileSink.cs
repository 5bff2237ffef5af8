using System.Buffers;
using Microsoft.Win32.SafeHandles;
using ProcWatch.Events;

namespace ProcWatch.Output.Sinks;

/// <summary>
/// JSON lines appended to a file, rotated by size: <c>events.json</c> → <c>events.json.1</c>
/// → … → <c>events.json.KEEP</c> (older ones deleted). Rotation happens only between whole
/// lines, so no line is split or lost across files. A failed write (disk full) is cut back
/// to the last whole line, dropped and counted, reported once; the next flush tries again.
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
    private SafeFileHandle? _file;
    private long _size;

    /// <param name="maxBytes">Rotate before a line would make the file larger; 0 = never rotate.</param>
    /// <param name="keep">Rotated files kept.</param>
    /// <exception cref="IOException">The file cannot be opened at start (message says why).</exception>
    public RotatingFileSink(string path, long maxBytes, int keep, Action<string> report)
    {
        _path = System.IO.Path.GetFullPath(path);
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
            if (_file is null)
                Open();
            RandomAccess.Write(_file!, _pending.WrittenSpan, _size);
            _size += _pending.WrittenCount;
            Counters.OnWritten(_pendingLines);
            _latch.Succeeded();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Part of the batch may have reached the disk: cut back to the last whole line.
            if (_file is not null)
            {
                try { RandomAccess.SetLength(_file, _size); }
                catch (IOException) { }
            }
            Counters.OnDropped(_pendingLines);
            _latch.Failed($"cannot write: {ex.Message}", _pendingLines);
        }
        finally
        {
            _pending.ResetWrittenCount();
            _pendingLines = 0;
        }
    }

    public void Reopen()
    {
        Flush();
        _file?.Dispose();
        _file = null;
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
        _file?.Dispose();
        _file = null;
    }

    private void Open()
    {
        string? directory = System.IO.Path.GetDirectoryName(_path);
        if (!string.IsNullOrEmpty(directory))
            Directory.CreateDirectory(directory);
        var options = new FileStreamOptions
        {
            Mode = FileMode.OpenOrCreate,
            Access = FileAccess.Write,
            Share = FileShare.ReadWrite | FileShare.Delete,
            BufferSize = 0,
        };
        // Command lines can hold secrets: not world-readable.
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead;
        var stream = new FileStream(_path, options);
        _file = stream.SafeFileHandle;
        _size = RandomAccess.GetLength(_file);
    }

    private void Rotate()
    {
        _file?.Dispose();
        _file = null;
        try
        {
            if (_keep <= 0)
            {
                File.Delete(_path);
            }
            else
            {
                File.Delete(Numbered(_keep));
                for (int i = _keep - 1; i >= 1; i--)
                {
                    if (File.Exists(Numbered(i)))
                        File.Move(Numbered(i), Numbered(i + 1), overwrite: true);
                }
                File.Move(_path, Numbered(1), overwrite: true);
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

    private string Numbered(int n) => _path + "." + n.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
