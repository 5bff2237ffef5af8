using System.Buffers;
using System.Diagnostics;
using System.IO.Compression;
using ProcWatch.Output;

namespace ProcWatch.Daemon.Outputs.ClickHouse;

/// <summary>
/// Writes one heartbeat row every <see cref="ClickHouseSettings.HeartbeatInterval"/> into the
/// heartbeats table (the first as soon as the events table is checked, at most one interval after start). A heartbeat is not spooled: its only meaning is
/// "alive now", and a server that missed it was down for everyone anyway. A host whose
/// heartbeats stop (the sensor was stopped, or its network cut) or whose loss counters jump
/// (it was blinded) is what <c>procwatch fleet hosts</c> shows. A failing insert is one log
/// line when it starts and one when heartbeats get through again.
/// </summary>
internal sealed class HeartbeatWriter : IDisposable
{
    private readonly ClickHouseSettings _settings;
    private readonly ClickHouseClient _client;
    private readonly string _hostname;
    private readonly string _name;
    private readonly Action<string> _report;
    private readonly Func<HeartbeatCounters> _read;
    private readonly Func<long> _pending;
    private readonly Func<bool> _tableReady;
    private readonly CancellationTokenSource _stop = new();
    private readonly long _started = Stopwatch.GetTimestamp();
    private readonly Task _loop;
    private bool _failing;
    private long _sent;

    public HeartbeatWriter(ClickHouseSettings settings, string? user, string? password, string hostname, string name,
        Action<string> report, Func<HeartbeatCounters> read, Func<long> pending, Func<bool> tableReady)
    {
        _tableReady = tableReady;
        _settings = settings;
        _client = new ClickHouseClient(settings, user, password);
        _hostname = hostname;
        _name = name;
        _report = report;
        _read = read;
        _pending = pending;
        _loop = Task.Run(() => RunAsync(_stop.Token));
    }

    /// <summary>Heartbeats the server accepted (tests, metrics).</summary>
    public long Sent => Volatile.Read(ref _sent);

    public static string Version { get; } = typeof(HeartbeatWriter).Assembly.GetName().Version?.ToString(3) ?? "?";

    private async Task RunAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(_settings.HeartbeatInterval);
        try
        {
            // The first heartbeat waits (at most one interval) for the events delivery to have
            // checked or created the tables, so a fresh store does not start with a failure line.
            var first = Stopwatch.StartNew();
            while (!_tableReady() && first.Elapsed < _settings.HeartbeatInterval)
                await Task.Delay(100, stop).ConfigureAwait(false);
            do
            {
                await SendAsync(stop).ConfigureAwait(false);
            }
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private async Task SendAsync(CancellationToken stop)
    {
        ClickHouseReply reply = await _client.InsertIntoAsync(_settings.Database, _settings.HeartbeatTable, Row(), stop).ConfigureAwait(false);
        if (reply.Outcome == ClickHouseOutcome.Accepted)
        {
            Interlocked.Increment(ref _sent);
            if (_failing)
                _report($"{_name}: heartbeats get through again");
            _failing = false;
        }
        else if (!_failing)
        {
            _failing = true;
            _report($"{_name}: cannot write a heartbeat into {_settings.Database}.{_settings.HeartbeatTable}: {reply.Message}; trying again every {_settings.HeartbeatInterval.TotalSeconds:0.###} s");
        }
    }

    /// <summary>The row, gzip'd (the client sends every body compressed).</summary>
    private byte[] Row()
    {
        HeartbeatCounters c = _read();
        var rows = new ArrayBufferWriter<byte>(512);
        var w = new JsonLineWriter(rows);
        w.StartObject();
        Span<byte> time = stackalloc byte[40];
        JsonLineWriter.WriteDateTime(DateTime.UtcNow, (byte)' ', time);
        w.Ascii("@timestamp"u8, time[..19]);
        w.String("host.hostname"u8, _hostname);
        w.String("procwatch.version"u8, Version);
        w.String("procwatch.backend"u8, c.Backend);
        w.String("procwatch.enforcement"u8, c.Enforcement);
        w.Number("procwatch.heartbeat_interval_ms"u8, (long)_settings.HeartbeatInterval.TotalMilliseconds);
        w.Number("procwatch.uptime_s"u8, (long)Stopwatch.GetElapsedTime(_started).TotalSeconds);
        w.Number("procwatch.events"u8, c.Events);
        w.Number("procwatch.losses"u8, c.Losses);
        w.Number("procwatch.drops"u8, c.Drops);
        w.Number("procwatch.alerts"u8, c.Alerts);
        w.Number("procwatch.pending"u8, _pending());
        w.EndObject();
        w.EndLine();
        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
            gzip.Write(rows.WrittenSpan);
        return compressed.ToArray();
    }

    public void Dispose()
    {
        BackgroundLoop.Stop(_stop, _loop);
        _client.Dispose();
        _stop.Dispose();
    }
}
