using System.Buffers;
using System.Diagnostics;
using System.IO.Compression;
using ProcWatch.Events;
using ProcWatch.Output.Sinks;

namespace ProcWatch.Daemon.Outputs.ClickHouse;

/// <summary>
/// The ClickHouse output. The event loop only formats a row into the open batch (never
/// waits for disk or network); a batch is sealed at <see cref="ClickHouseSettings.BatchRows"/>
/// rows, at <see cref="SealBytes"/> (huge argv must not grow a batch by GBs) or
/// <see cref="ClickHouseSettings.BatchInterval"/> after its first row, and queued in memory
/// (bounded). Alert rows have their own open batch and their own share of the queue bound,
/// and beyond it plain batches give way, so a storm of plain rows that overflows the queue
/// never takes the alerts with it. The
/// spool thread compresses and fsyncs it into the
/// <see cref="ClickHouseSpool"/>; <see cref="ClickHouseDelivery"/> sends spooled batches
/// oldest first and deletes each only once the server accepted it. At-least-once: what
/// the server took twice (an answer lost on the way back) is one row per event.id in
/// queries with FINAL. Events still in memory when the process is SIGKILLed (at most one
/// batch interval's) are the only ones not protected; SIGTERM spools them.
/// </summary>
internal sealed class ClickHouseSink : IOutputSink, ISpooledOutput
{
    private readonly ClickHouseSettings _settings;
    private readonly ClickHouseRowWriter _rows;
    private readonly ClickHouseSpool _spool;
    private readonly ClickHouseDelivery _delivery;
    private readonly LossReporter _losses;
    private readonly Lock _gate = new();
    private readonly Queue<(ArrayBufferWriter<byte> Rows, int Count, long SealedUnixMs, bool Alerts)> _sealed = new();
    private readonly SemaphoreSlim _sealedSignal = new(0);
    private readonly Thread _spoolThread;
    private readonly long _intervalTicks;
    private readonly OpenBatch _plain = new(alerts: false);
    private readonly OpenBatch _alerts = new(alerts: true);
    private long _queuedBytes;
    private long _queuedAlertBytes;
    private long _queuedRows;
    /// <summary>Rows the spool thread took off the queue and is compressing and writing: still pending.</summary>
    private long _spoolingRows;
    private readonly string _hostname;
    private readonly Action<string> _report;
    private readonly (string? User, string? Password) _credentials;
    private HeartbeatWriter? _heartbeats;
    private volatile bool _stopping;
    private bool _disposed;

    /// <param name="hostname">host.hostname of every row (default: this machine's name).</param>
    /// <exception cref="ProcWatch.ProcWatchException">The spool directory or the password file cannot be used.</exception>
    public ClickHouseSink(ClickHouseSettings settings, Action<string> report, string? hostname = null)
    {
        _settings = settings;
        Name = "clickhouse:" + settings.Url.GetLeftPart(UriPartial.Path).TrimEnd('/') + "/" + settings.Database + "." + settings.Table;
        _hostname = hostname ?? Environment.MachineName;
        _report = report;
        _rows = new ClickHouseRowWriter(_hostname);
        _losses = new LossReporter(Name, report);
        _intervalTicks = (long)(settings.BatchInterval.TotalSeconds * Stopwatch.Frequency);
        SealBytes = Math.Min(settings.QueueMaxBytes / 4, 16L * 1024 * 1024);
        (string? user, string? password) = ClickHouseCredentials.Resolve(settings, report);
        _credentials = (user, password);
        try
        {
            _spool = new ClickHouseSpool(settings.SpoolDirectory, settings.SpoolMaxBytes, settings.SpoolMaxAge);
        }
        catch (ProcWatch.Files.UnsafeFileException ex)
        {
            throw new ProcWatch.ProcWatchException(ProcWatch.FailureKind.UnsafeFile, $"{Name}: spool: {ex.Message}");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ProcWatch.ProcWatchException(ProcWatch.FailureKind.SystemError,
                $"{Name}: cannot use the spool directory {settings.SpoolDirectory}: {ex.Message}");
        }
        if (_spool.Unverified > 0)
            report($"{Name}: {_spool.Unverified} spooled batch(es) failed the integrity check (not written by this daemon); moved to {_spool.RejectedDirectory}, never sent");
        if (_spool.Count > 0)
            report($"{Name}: {_spool.Rows} events in {_spool.Count} batches spooled by an earlier run; sending them first");
        _delivery = new ClickHouseDelivery(settings, Name, user, _spool, Counters, _losses, report, password);
        _spoolThread = new Thread(SpoolLoop) { Name = "clickhouse-spool", IsBackground = true };
        _spoolThread.Start();
        _delivery.Start();
    }

    public string Name { get; }

    /// <summary>A batch is sealed once its rows reach this many bytes: a quarter of the queue bound, at most 16 MiB.</summary>
    public long SealBytes { get; }

    /// <summary>Written: rows the server accepted. Dropped: rows lost (queue or spool full, disk error, too old).</summary>
    public OutputCounters Counters { get; } = new();

    /// <summary>Rows not yet accepted: the open batch, the memory queue, the spool.</summary>
    public long PendingRows
    {
        get
        {
            lock (_gate)
                return _plain.Count + _alerts.Count + _queuedRows + _spoolingRows + _spool.Rows;
        }
    }

    public long SpoolBytes => _spool.Bytes;

    public int SpoolBatches => _spool.Count;

    /// <summary>Insert latencies (ms) of accepted batches, recorded once set (benchmarks).</summary>
    internal List<double>? InsertLatencies
    {
        get => _delivery.Latencies;
        set => _delivery.Latencies = value;
    }

    /// <summary>
    /// Starts the heartbeat rows (<see cref="ClickHouseSettings.HeartbeatInterval"/>; none when
    /// zero) once the daemon has counters to put in them.
    /// </summary>
    public void StartHeartbeats(Func<HeartbeatCounters> read)
    {
        if (_settings.HeartbeatInterval <= TimeSpan.Zero || _heartbeats is not null)
            return;
        _heartbeats = new HeartbeatWriter(_settings, _credentials.User, _credentials.Password, _hostname, Name, _report, read, () => PendingRows,
            () => _delivery.TableChecked);
    }

    /// <summary>Heartbeats the server accepted.</summary>
    public long HeartbeatsSent => _heartbeats?.Sent ?? 0;

    /// <summary>It writes rows of its own (<see cref="ClickHouseRowWriter"/>).</summary>
    public bool TakesJsonLine => false;

    public void Write(ProcessEvent e, AlertInfo? alert, ReadOnlySpan<byte> jsonLine)
    {
        lock (_gate)
        {
            OpenBatch batch = alert is null ? _plain : _alerts;
            if (batch.Count == 0)
                batch.Started = Stopwatch.GetTimestamp();
            _rows.Write(e, alert, batch.Rows);
            if (++batch.Count >= _settings.BatchRows || batch.Rows.WrittenCount >= SealBytes)
                SealLocked(batch);
        }
    }

    public void Flush()
    {
        lock (_gate)
        {
            long now = Stopwatch.GetTimestamp();
            if (_plain.Count > 0 && now - _plain.Started >= _intervalTicks)
                SealLocked(_plain);
            if (_alerts.Count > 0 && now - _alerts.Started >= _intervalTicks)
                SealLocked(_alerts);
        }
    }

    public void Reopen() { }

    /// <summary>
    /// Queues the batch unless it does not fit (<see cref="Fits"/>): plain rows and alert rows
    /// each have <see cref="ClickHouseSettings.QueueMaxBytes"/>, so plain rows filling the
    /// queue never push out an alert. Alerts beyond their share take what plain rows leave of
    /// the whole bound, and queued plain batches give way to them, oldest first; only alerts
    /// beyond the whole bound are lost (counted under their own reason).
    /// </summary>
    private void SealLocked(OpenBatch batch)
    {
        if (batch.Count == 0)
            return;
        int bytes = batch.Rows.WrittenCount;
        if (batch.Alerts && _queuedAlertBytes + bytes > _settings.QueueMaxBytes)
            DropPlainForAlerts(bytes);
        if (!Fits(batch.Alerts, bytes))
        {
            Counters.OnDropped(batch.Count);
            if (batch.Alerts)
                _losses.Lost(batch.Count, "queue-alerts", "alerts: the spool writer is behind and the memory queue is full of alerts");
            else
                _losses.Lost(batch.Count, "queue", "the spool writer is behind and the memory queue is full");
            batch.Rows.ResetWrittenCount();
        }
        else
        {
            _sealed.Enqueue((batch.Rows, batch.Count, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), batch.Alerts));
            _queuedBytes += bytes;
            if (batch.Alerts)
                _queuedAlertBytes += bytes;
            _queuedRows += batch.Count;
            batch.Rows = new ArrayBufferWriter<byte>((int)Math.Min(SealBytes + 64 * 1024, Math.Max(64 * 1024, bytes + bytes / 4)));
            _sealedSignal.Release();
        }
        batch.Count = 0;
    }

    /// <summary>Memory held by queued batches stays within twice <see cref="ClickHouseSettings.QueueMaxBytes"/>; plain rows within one share.</summary>
    private bool Fits(bool alerts, int bytes)
    {
        long whole = 2 * _settings.QueueMaxBytes;
        if (_queuedBytes + bytes > whole)
            return false;
        return alerts || _queuedBytes - _queuedAlertBytes + bytes <= _settings.QueueMaxBytes;
    }

    /// <summary>Drops queued plain batches, oldest first, until an alert batch of <paramref name="bytes"/> fits the whole bound (or none is left).</summary>
    private void DropPlainForAlerts(int bytes)
    {
        long whole = 2 * _settings.QueueMaxBytes;
        for (int i = _sealed.Count; i > 0; i--)
        {
            var item = _sealed.Dequeue();
            if (!item.Alerts && _queuedBytes + bytes > whole)
            {
                _queuedBytes -= item.Rows.WrittenCount;
                _queuedRows -= item.Count;
                Counters.OnDropped(item.Count);
                _losses.Lost(item.Count, "queue", "the spool writer is behind and the memory queue is full: plain rows gave way to alerts");
                continue; // its signal is left over: the spool loop finds the queue shorter, which it handles
            }
            _sealed.Enqueue(item);
        }
    }

    /// <summary>Seals batches by age while the event loop is idle, compresses and spools them.</summary>
    private void SpoolLoop()
    {
        var compressed = new MemoryStream(256 * 1024);
        TimeSpan tick = TimeSpan.FromMilliseconds(Math.Clamp(_settings.BatchInterval.TotalMilliseconds / 4, 5, 250));
        while (true)
        {
            bool signalled = _sealedSignal.Wait(tick);
            if (!signalled)
                Flush();
            while (TryDequeue(out ArrayBufferWriter<byte>? rows, out int count, out long sealedAt))
            {
                Spool(rows, count, sealedAt, compressed);
                lock (_gate)
                    _spoolingRows = 0; // in the spool (counted there) or counted as dropped
            }
            if (_stopping)
            {
                lock (_gate)
                {
                    if (_sealed.Count == 0 && _plain.Count == 0 && _alerts.Count == 0)
                        return;
                }
            }
        }
    }

    private bool TryDequeue(out ArrayBufferWriter<byte> rows, out int count, out long sealedAt)
    {
        lock (_gate)
        {
            if (!_sealed.TryDequeue(out var item))
            {
                rows = null!; count = 0; sealedAt = 0;
                return false;
            }
            (rows, count, sealedAt, bool alerts) = item;
            _queuedBytes -= rows.WrittenCount;
            if (alerts)
                _queuedAlertBytes -= rows.WrittenCount;
            _queuedRows -= count;
            _spoolingRows = count; // between the queue and the spool, the rows must not look delivered
            return true;
        }
    }

    private void Spool(ArrayBufferWriter<byte> rows, int count, long sealedAt, MemoryStream compressed)
    {
        compressed.SetLength(0);
        using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
            gzip.Write(rows.WrittenSpan);
        switch (_spool.Append(compressed.GetBuffer().AsSpan(0, (int)compressed.Length), count, sealedAt, out string? error))
        {
            case SpoolAppend.Stored:
                _losses.Recovered();
                _delivery.Wake();
                break;
            case SpoolAppend.Full:
                Counters.OnDropped(count);
                _losses.Lost(count, "spool-full", $"the spool is full ({_settings.SpoolMaxBytes} bytes)");
                break;
            default:
                Counters.OnDropped(count);
                _losses.Lost(count, "spool-error", $"cannot write the spool: {error}");
                break;
        }
    }

    /// <summary>
    /// SIGTERM: everything in memory goes into the spool (so the next start sends it), the
    /// send in progress is abandoned (its batch stays spooled; the resend deduplicates).
    /// </summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _heartbeats?.Dispose();
        lock (_gate)
        {
            SealLocked(_plain);
            SealLocked(_alerts);
        }
        _stopping = true;
        _sealedSignal.Release();
        _spoolThread.Join();
        _delivery.Dispose();
        _sealedSignal.Dispose();
        _spool.Dispose();
    }

    /// <summary>The batch rows are being added to; alert rows have their own.</summary>
    private sealed class OpenBatch(bool alerts)
    {
        public bool Alerts { get; } = alerts;
        public ArrayBufferWriter<byte> Rows { get; set; } = new(alerts ? 16 * 1024 : 256 * 1024);
        public int Count { get; set; }
        public long Started { get; set; }
    }
}
