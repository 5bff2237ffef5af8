using System.Globalization;
using System.Runtime.InteropServices;

namespace ProcWatch.Daemon.Outputs.ClickHouse;

/// <summary>One batch on disk: its compressed insert body, how many rows, and when it was sealed.</summary>
internal sealed record SpoolEntry(string Path, long Sequence, int Rows, long CreatedUnixMs, long Bytes);

internal enum SpoolAppend
{
    Stored,
    /// <summary>The spool is at its byte bound: the batch is lost.</summary>
    Full,
    /// <summary>The disk refused (ENOSPC, EIO, ...): the batch is lost.</summary>
    Failed,
}

/// <summary>
/// The directory of batches not yet accepted by the server, oldest first. A batch is
/// written to a temporary name, fsync'd, renamed, and the directory fsync'd, so after a
/// crash a batch is either whole under its final name or absent (a leftover temporary is
/// deleted at start). Names carry sequence, rows and seal time, so a restart rebuilds the
/// index without reading the files. Bounded in bytes and age; thread-safe.
/// </summary>
internal sealed partial class ClickHouseSpool
{
    private const string Suffix = ".batch";
    /// <summary>Batches the server refused for their data, kept for an operator to look at; the oldest go beyond this many.</summary>
    private const int RejectedKept = 16;
    private readonly Lock _gate = new();
    private readonly List<SpoolEntry> _entries = [];
    private readonly string _directory;
    private readonly long _maxBytes;
    private readonly TimeSpan _maxAge;
    private long _bytes;
    private long _rows;
    private long _nextSequence = 1;

    /// <exception cref="IOException">The directory cannot be created or read.</exception>
    /// <exception cref="UnauthorizedAccessException">The directory cannot be created or read.</exception>
    public ClickHouseSpool(string directory, long maxBytes, TimeSpan maxAge)
    {
        _directory = directory;
        _maxBytes = maxBytes;
        _maxAge = maxAge;
        if (OperatingSystem.IsWindows())
            Directory.CreateDirectory(directory);
        else
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute); // events are private
        foreach (string path in Directory.EnumerateFiles(directory))
        {
            string name = System.IO.Path.GetFileName(path);
            if (name.EndsWith(".tmp", StringComparison.Ordinal))
            {
                File.Delete(path); // never renamed: its batch was never spooled
                continue;
            }
            if (TryParseName(name, out long sequence, out int rows, out long created))
                _entries.Add(new SpoolEntry(path, sequence, rows, created, new FileInfo(path).Length));
        }
        _entries.Sort((a, b) => a.Sequence.CompareTo(b.Sequence));
        foreach (SpoolEntry e in _entries)
        {
            _bytes += e.Bytes;
            _rows += e.Rows;
        }
        if (_entries.Count > 0)
            _nextSequence = _entries[^1].Sequence + 1;
    }

    public long Bytes { get { lock (_gate) return _bytes; } }

    public long Rows { get { lock (_gate) return _rows; } }

    public int Count { get { lock (_gate) return _entries.Count; } }

    /// <summary>Stores one sealed batch durably (or says why not; then nothing of it stays on disk).</summary>
    public SpoolAppend Append(ReadOnlySpan<byte> body, int rows, long createdUnixMs, out string? error)
    {
        error = null;
        long sequence;
        lock (_gate)
        {
            if (_bytes + body.Length > _maxBytes)
                return SpoolAppend.Full;
            sequence = _nextSequence++;
        }
        string name = string.Create(CultureInfo.InvariantCulture, $"{sequence:D16}.{rows}.{createdUnixMs}{Suffix}");
        string path = System.IO.Path.Combine(_directory, name);
        string temporary = path + ".tmp";
        try
        {
            using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.None))
            {
                file.Write(body);
                file.Flush(flushToDisk: true);
            }
            File.Move(temporary, path);
            SyncDirectory(_directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            error = ex.Message;
            try { File.Delete(temporary); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            return SpoolAppend.Failed;
        }
        lock (_gate)
        {
            var entry = new SpoolEntry(path, sequence, rows, createdUnixMs, body.Length);
            // Appends may finish out of order only if two writers ran; keep the list sorted anyway.
            int at = _entries.Count;
            while (at > 0 && _entries[at - 1].Sequence > sequence) at--;
            _entries.Insert(at, entry);
            _bytes += body.Length;
            _rows += rows;
        }
        return SpoolAppend.Stored;
    }

    public bool TryPeekOldest(out SpoolEntry entry)
    {
        lock (_gate)
        {
            entry = _entries.Count > 0 ? _entries[0] : null!;
            return entry is not null;
        }
    }

    /// <summary>The server accepted it (or it expired): forget it and delete the file.</summary>
    public void Remove(SpoolEntry entry)
    {
        lock (_gate)
        {
            if (!_entries.Remove(entry))
                return;
            _bytes -= entry.Bytes;
            _rows -= entry.Rows;
        }
        try { File.Delete(entry.Path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>Removes batches older than the age bound; returns the rows they held (lost).</summary>
    public long Expire(long nowUnixMs)
    {
        long cutoff = nowUnixMs - (long)_maxAge.TotalMilliseconds;
        long lost = 0;
        while (TryPeekOldest(out SpoolEntry oldest) && oldest.CreatedUnixMs < cutoff)
        {
            Remove(oldest);
            lost += oldest.Rows;
        }
        return lost;
    }

    public byte[] Read(SpoolEntry entry) => File.ReadAllBytes(entry.Path);

    /// <summary>The directory refused batches are moved to (not sent again).</summary>
    public string RejectedDirectory => System.IO.Path.Combine(_directory, "rejected");

    /// <summary>
    /// The server will never take this batch: forget it and move its file into
    /// <see cref="RejectedDirectory"/>, which keeps the newest <see cref="RejectedKept"/>.
    /// </summary>
    /// <exception cref="IOException">The file cannot be moved (it is then deleted).</exception>
    public void Reject(SpoolEntry entry)
    {
        lock (_gate)
        {
            if (!_entries.Remove(entry))
                return;
            _bytes -= entry.Bytes;
            _rows -= entry.Rows;
        }
        try
        {
            Directory.CreateDirectory(RejectedDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            File.Move(entry.Path, System.IO.Path.Combine(RejectedDirectory, System.IO.Path.GetFileName(entry.Path)), overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            try { File.Delete(entry.Path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw new IOException($"cannot move it to {RejectedDirectory}: {ex.Message}", ex);
        }
        try
        {
            string[] kept = Directory.GetFiles(RejectedDirectory, "*" + Suffix);
            Array.Sort(kept, StringComparer.Ordinal); // names start with the zero-padded sequence: oldest first
            for (int i = 0; i < kept.Length - RejectedKept; i++)
                File.Delete(kept[i]);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The bound is enforced again at the next rejection.
        }
    }

    private static bool TryParseName(string name, out long sequence, out int rows, out long created)
    {
        sequence = 0; rows = 0; created = 0;
        if (!name.EndsWith(Suffix, StringComparison.Ordinal))
            return false;
        string[] parts = name[..^Suffix.Length].Split('.');
        return parts.Length == 3
            && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out sequence)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out rows)
            && long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out created);
    }

    /// <summary>fsync of the directory: makes the rename itself durable.</summary>
    private static void SyncDirectory(string directory)
    {
        int fd = Open(directory, 0x10000 | 0x80000); // O_RDONLY | O_DIRECTORY | O_CLOEXEC
        if (fd < 0)
            throw new IOException($"cannot open {directory}: {Marshal.GetLastPInvokeErrorMessage()}");
        try
        {
            if (Fsync(fd) != 0)
                throw new IOException($"fsync {directory}: {Marshal.GetLastPInvokeErrorMessage()}");
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
