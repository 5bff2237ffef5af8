using System.Globalization;
using Microsoft.Win32.SafeHandles;
using ProcWatch.Files;

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
/// index without parsing the files. Bounded in bytes and age; thread-safe.
/// The directory must be the daemon's own and not writable by others (it is refused
/// otherwise: <see cref="UnsafeFileException"/>); it is held open and every file in it is
/// opened relative to it without following links, batches 0600. Every batch ends with its
/// <see cref="SpoolSeal"/>: at start each one is checked, and one that fails (not written by
/// this daemon) is moved to <c>rejected/</c> as <c>NAME.unverified</c>, never sent, and counted
/// in <see cref="Unverified"/>.
/// </summary>
internal sealed class ClickHouseSpool : IDisposable
{
    private const string Suffix = ".batch";
    private const string UnverifiedSuffix = ".unverified";
    /// <summary>Batches the server refused for their data (or that failed the check), kept for an operator to look at; the oldest go beyond this many.</summary>
    private const int RejectedKept = 16;
    private readonly Lock _gate = new();
    private readonly List<SpoolEntry> _entries = [];
    private readonly SafeDirectory _directory;
    private readonly SpoolSeal _seal;
    private readonly long _maxBytes;
    private readonly TimeSpan _maxAge;
    private long _bytes;
    private long _rows;
    private long _nextSequence = 1;

    /// <exception cref="UnsafeFileException">The directory (or its key) is not the daemon's own, or writable by others.</exception>
    /// <exception cref="IOException">The directory cannot be created or read.</exception>
    /// <exception cref="UnauthorizedAccessException">The directory cannot be created or read.</exception>
    public ClickHouseSpool(string directory, long maxBytes, TimeSpan maxAge)
    {
        _maxBytes = maxBytes;
        _maxAge = maxAge;
        _directory = SafeDirectory.Open(directory, DirectoryTrust.Private, create: true); // events are private
        try
        {
            _seal = SpoolSeal.Open(_directory);
            var unverified = new List<string>();
            foreach (string name in _directory.Names())
            {
                if (name.EndsWith(".tmp", StringComparison.Ordinal))
                {
                    _directory.Delete(name); // never renamed: its batch was never spooled
                    continue;
                }
                if (!TryParseName(name, out long sequence, out int rows, out long created))
                    continue;
                if (TryReadSealed(name, out long bytes))
                    _entries.Add(new SpoolEntry(_directory.Combine(name), sequence, rows, created, bytes));
                else
                    unverified.Add(name);
            }
            foreach (string name in unverified)
            {
                try { SetAside(name, name + UnverifiedSuffix); }
                catch (IOException) { /* deleted instead: never sent either way */ }
            }
            Unverified = unverified.Count;
        }
        catch
        {
            _directory.Dispose();
            throw;
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

    /// <summary>Batches found at start that failed the integrity check (set aside, never sent).</summary>
    public int Unverified { get; }

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
        string temporary = name + ".tmp";
        Span<byte> tag = stackalloc byte[SpoolSeal.TagBytes];
        _seal.Compute(name, body, tag);
        try
        {
            using (var file = new FileStream(new SafeFileHandle(_directory.CreateNew(temporary), ownsHandle: true), FileAccess.Write, 1))
            {
                file.Write(body);
                file.Write(tag);
                file.Flush(flushToDisk: true);
            }
            _directory.Rename(temporary, name);
            _directory.Sync();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            error = ex.Message;
            try { _directory.Delete(temporary); } catch (IOException) { }
            return SpoolAppend.Failed;
        }
        string path = _directory.Combine(name);
        lock (_gate)
        {
            var entry = new SpoolEntry(path, sequence, rows, createdUnixMs, body.Length + SpoolSeal.TagBytes);
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

    /// <summary>Takes the entry out of the queue and its totals; false when another caller already did.</summary>
    private bool Forget(SpoolEntry entry)
    {
        lock (_gate)
        {
            if (!_entries.Remove(entry))
                return false;
            _bytes -= entry.Bytes;
            _rows -= entry.Rows;
            return true;
        }
    }

    /// <summary>The server accepted it (or it expired): forget it and delete the file.</summary>
    public void Remove(SpoolEntry entry)
    {
        if (!Forget(entry))
            return;
        try { _directory.Delete(Path.GetFileName(entry.Path)); }
        catch (IOException) { }
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

    /// <summary>The batch's body (without its seal), once the seal is checked.</summary>
    /// <exception cref="IOException">It cannot be read, or it fails the integrity check (then it is never sent).</exception>
    public byte[] Read(SpoolEntry entry)
    {
        string name = Path.GetFileName(entry.Path);
        byte[] file = ReadFile(name);
        if (!_seal.Verify(name, file))
            throw new IOException($"{entry.Path} fails the integrity check (not written by this daemon); not sent");
        return file[..^SpoolSeal.TagBytes];
    }

    private bool TryReadSealed(string name, out long bytes)
    {
        bytes = 0;
        try
        {
            byte[] file = ReadFile(name);
            bytes = file.Length;
            return _seal.Verify(name, file);
        }
        catch (IOException)
        {
            return false; // a link, someone else's file, unreadable: not ours either
        }
    }

    private byte[] ReadFile(string name)
    {
        using var file = new FileStream(new SafeFileHandle(_directory.OpenRead(name), ownsHandle: true), FileAccess.Read, 1);
        var bytes = new byte[file.Length];
        file.ReadExactly(bytes);
        return bytes;
    }

    /// <summary>The directory refused batches are moved to (not sent again).</summary>
    public string RejectedDirectory => _directory.Combine("rejected");

    /// <summary>
    /// The server will never take this batch: forget it and move its file into
    /// <see cref="RejectedDirectory"/>, which keeps the newest <see cref="RejectedKept"/>.
    /// </summary>
    /// <exception cref="IOException">The file cannot be moved (it is then deleted).</exception>
    public void Reject(SpoolEntry entry)
    {
        if (!Forget(entry))
            return;
        string name = Path.GetFileName(entry.Path);
        SetAside(name, name);
    }

    /// <summary>Moves <paramref name="name"/> into <c>rejected/</c> (0700, ours) as <paramref name="newName"/>, or deletes it; keeps the newest <see cref="RejectedKept"/> there.</summary>
    /// <exception cref="IOException">The file cannot be moved (it is then deleted).</exception>
    private void SetAside(string name, string newName)
    {
        SafeDirectory rejected;
        try
        {
            rejected = _directory.OpenSubdirectory("rejected", DirectoryTrust.Private, create: true);
        }
        catch (IOException ex)
        {
            try { _directory.Delete(name); } catch (IOException) { }
            throw new IOException($"cannot move it to {RejectedDirectory}: {ex.Message}", ex);
        }
        using (rejected)
        {
            try
            {
                _directory.MoveTo(name, rejected, newName);
            }
            catch (IOException ex)
            {
                try { _directory.Delete(name); } catch (IOException) { }
                throw new IOException($"cannot move it to {RejectedDirectory}: {ex.Message}", ex);
            }
            try
            {
                var kept = new List<string>(rejected.Names());
                kept.Sort(StringComparer.Ordinal); // names start with the zero-padded sequence: oldest first
                for (int i = 0; i < kept.Count - RejectedKept; i++)
                    rejected.Delete(kept[i]);
            }
            catch (IOException)
            {
                // The bound is enforced again at the next rejection.
            }
        }
    }

    public void Dispose() => _directory.Dispose();

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
}
