using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using ProcWatch.Core;
using ProcWatch.Interop;

namespace ProcWatch.Kernel.Ebpf;

/// <summary>
/// Exact argv for every exec: an eBPF program on <c>tracepoint/sched/sched_process_exec</c>
/// copies argv out of the new image before it runs, and a dedicated thread drains the BPF
/// ring buffer, handing each exec to the callback as an <see cref="ExecRecord"/>.
/// </summary>
/// <remarks>
/// Needs Linux with BTF, libbpf.so.1 and CAP_BPF + CAP_PERFMON (or root); <see cref="TryStart(Action{ExecRecord}, out ExecCapture?, out Failure)"/>
/// says in one line why not otherwise. Every exec after it returns is captured; execs the
/// ring could not hold are counted in <see cref="Drops"/>, never silent. The callback runs
/// on the capture thread, one record at a time, and should be quick.
/// </remarks>
internal sealed class ExecCapture : IDisposable
{
    /// <summary>
    /// Argv bytes kept per exec: 1 MiB (16 records). The kernel allows argv plus environment
    /// up to a quarter of the stack rlimit (2 MiB by default); longer argv is cut here and
    /// sets <see cref="ExecRecord.ArgvTruncated"/>, with <see cref="ExecRecord.Argc"/> still exact.
    /// </summary>
    public const int ArgvLimitBytes = exec_record_header.ARGV_CAP * exec_record_header.ARGV_CHUNKS_MAX;

    /// <summary>Longest sleep between polls: bounds the delay of a record written without a wakeup.</summary>
    private const int IdlePollTimeoutMs = 100;

    private readonly ExecCaptureProgram _program;
    private readonly MmapRingBuffer _ring;
    private readonly Thread _thread;
    private readonly int _busyPollTimeoutMs;
    private readonly Lock _consumeGate = new();
    private bool _ringClosed; // under _consumeGate
    private volatile bool _stopping;
    private int _disposed;

    private ExecCapture(ExecCaptureProgram program, MmapRingBuffer ring, TimeSpan wakeupInterval)
    {
        _program = program;
        _ring = ring;
        _busyPollTimeoutMs = wakeupInterval <= TimeSpan.Zero ? IdlePollTimeoutMs : Math.Clamp((int)Math.Ceiling(wakeupInterval.TotalMilliseconds), 1, IdlePollTimeoutMs);
        _thread = new Thread(PollLoop) { IsBackground = true, Name = "procwatch-ebpf" };
    }

    /// <summary>Loads and attaches the program and starts draining; false with the failure when eBPF is unusable here.</summary>
    public static bool TryStart(Action<ExecRecord> onRecord, [NotNullWhen(true)] out ExecCapture? capture, out Failure failure)
        => TryStartCore(ExecOnly(onRecord), ExecCaptureOptions.Default, startThread: true, out capture, out failure);

    /// <inheritdoc cref="TryStart(Action{ExecRecord}, out ExecCapture?, out Failure)"/>
    public static bool TryStart(Action<ExecRecord> onRecord, ExecCaptureOptions options, [NotNullWhen(true)] out ExecCapture? capture, out Failure failure)
        => TryStartCore(ExecOnly(onRecord), options, startThread: true, out capture, out failure);

    /// <summary>Every record: execs, and the fork and exit records when those programs attached.</summary>
    public static bool TryStartAll(Action<KernelRecord> onRecord, ExecCaptureOptions options, [NotNullWhen(true)] out ExecCapture? capture, out Failure failure)
        => TryStartCore(onRecord, options, startThread: true, out capture, out failure);

    internal static bool TryStart(Action<ExecRecord> onRecord, ExecCaptureOptions options, bool startThread, [NotNullWhen(true)] out ExecCapture? capture, out Failure failure)
        => TryStartCore(ExecOnly(onRecord), options, startThread, out capture, out failure);

    private static Action<KernelRecord> ExecOnly(Action<ExecRecord> onRecord)
    {
        ArgumentNullException.ThrowIfNull(onRecord);
        return r =>
        {
            if (r is ExecRecord exec)
                onRecord(exec);
        };
    }

    /// <param name="startThread">False for the benchmark, which drains with <see cref="DrainOnce"/> itself.</param>
    internal static bool TryStartCore(Action<KernelRecord> onRecord, ExecCaptureOptions options, bool startThread, [NotNullWhen(true)] out ExecCapture? capture, out Failure failure)
    {
        ArgumentNullException.ThrowIfNull(onRecord);
        ArgumentNullException.ThrowIfNull(options);
        int ringBytes = options.RingBufferBytes;
        if (ringBytes < Environment.SystemPageSize || !int.IsPow2(ringBytes))
        {
            throw new ArgumentOutOfRangeException(nameof(options), ringBytes, "RingBufferBytes must be a power of two, at least the page size");
        }
        capture = null;
        if (!EbpfPrerequisites.TryCheck(out failure))
        {
            return false;
        }
        if (!ExecCaptureProgram.TryLoad(ringBytes, SettingsOf(options), options.TreeRoots, options.TreeMembers, options.TreeMapEntries, out ExecCaptureProgram? program, out failure))
        {
            return false;
        }
        if (!MmapRingBuffer.TryCreate(program.EventsMapFd, ringBytes, new RecordSink(onRecord), out MmapRingBuffer? ring, out int errno))
        {
            program.Dispose();
            failure = new Failure(errno == Libc.EPERM ? FailureKind.NoPrivilege : FailureKind.KernelUnsupported, errno, FailureStep.MapRingBuffer);
            return false;
        }
        capture = new ExecCapture(program, ring, options.WakeupInterval);
        if (startThread)
        {
            capture._thread.Start();
        }
        return true;
    }

    private static capture_settings SettingsOf(ExecCaptureOptions options)
    {
        capture_filters filters = 0;
        if (options.TreeRoots is { Count: > 0 })
            filters |= capture_filters.TREE;
        if (filters != 0 && options.MarkFiltered)
            filters |= capture_filters.MARK_FILTERED;
        return new capture_settings
        {
            wakeup_interval_ns = options.WakeupInterval <= TimeSpan.Zero ? 0 : (ulong)options.WakeupInterval.Ticks * 100,
            wakeup_bytes = (ulong)options.RingBufferBytes / 4,
            filters = filters,
        };
    }

    /// <summary>Execs the kernel's tree filter (<see cref="ExecCaptureOptions.TreeRoots"/>) left out, never built.</summary>
    internal ulong Filtered(exec_counter which) => _program.ReadCounter(which);

    /// <summary>Execs the kernel saw but could not hand over (ring buffer full): read from the per-CPU counters.</summary>
    public ulong Drops =>
        _program.ReadCounter(exec_counter.RINGBUF_DROPS) +
        _program.ReadCounter(exec_counter.SCRATCH_MISSING);

    /// <summary>Processes the kernel's tree map could not hold (full): its filter lets every exec through since the first.</summary>
    public ulong TreeFull => _program.ReadCounter(exec_counter.TREE_FULL);

    /// <summary>Markers of filtered records the ring could not hold: no event is lost (they were filtered out).</summary>
    public ulong MarkerDrops => _program.ReadCounter(exec_counter.MARKER_DROPS);

    /// <summary>Fork records the ring could not hold: those forks are lost.</summary>
    public ulong ForkDrops => _program.ReadCounter(exec_counter.FORK_DROPS);

    /// <summary>Exit records the ring could not hold: those exits are lost.</summary>
    public ulong ExitDrops => _program.ReadCounter(exec_counter.EXIT_DROPS);

    /// <summary>Main threads that exited while other threads of their process ran on: no record, the process exit comes later.</summary>
    public ulong LeaderExitsEarly => _program.ReadCounter(exec_counter.LEADER_EXITED_EARLY);

    /// <summary>Forks carry the child's exact kernel start time.</summary>
    public bool ForkAttached => _program.ForkAttached;

    /// <summary>The connector counting filter loaded with the capture, or null (<see cref="ExecCaptureProgram.ConnectorCount"/>).</summary>
    internal ConnectorCountMap? ConnectorCount => _program.ConnectorCount;

    /// <summary>Why the connector counting filter did not load, when it did not.</summary>
    internal Failure? ConnectorCountFailure => _program.ConnectorCountFailure;

    /// <summary>Exits carry CPU time and peak RSS.</summary>
    public bool ExitAttached => _program.ExitAttached;

    /// <summary>Why the fork or exit program did not attach; empty when both did (or the level has none).</summary>
    public IReadOnlyList<AttachAttempt> LifecycleFailures => _program.LifecycleFailures;

    /// <summary>How the program is attached: tp_btf, raw_tp or tracepoint (<see cref="ExecCaptureProgram.AttachLadder"/>).</summary>
    public string AttachMode => _program.AttachMode;

    /// <summary>Why each better attach type failed; empty when the best one worked.</summary>
    public IReadOnlyList<AttachAttempt> AttachFailures => _program.AttachFailures;

    /// <summary>Records delivered to the callback.</summary>
    public long Received => _ring.Sink.Received;

    /// <summary>Set when the capture stopped on its own: the callback threw, or waiting failed.</summary>
    public Exception? Fault { get; private set; }

    /// <summary>CPU time the capture thread used, known once it has stopped (for the benchmark).</summary>
    internal TimeSpan ThreadCpuTime { get; private set; }

    /// <summary>Times the capture thread slept and was woken, known once it has stopped (for the benchmark).</summary>
    internal long ThreadWakeups { get; private set; }

    /// <summary>Starts the capture thread of a capture created with <c>startThread: false</c>: records wait in the ring until then.</summary>
    internal void StartDraining()
    {
        if (!_thread.IsAlive && Volatile.Read(ref _disposed) == 0)
            _thread.Start();
    }

    /// <summary>Consumes what the ring holds on the calling thread, without waiting (benchmark only, thread not started).</summary>
    internal int DrainOnce() => _ring.Poll(0);

    /// <summary>
    /// Hands every record already in the ring to the callback, on the calling thread, now:
    /// after this returns, every exec whose tracepoint ran before the call has been delivered.
    /// Cheap (memory reads; a system call only when the read window moves, about once per
    /// 256 KiB of records: MmapRingBuffer), safe beside the capture thread.
    /// </summary>
    public void DrainNow()
    {
        lock (_consumeGate)
        {
            if (!_ringClosed)
            {
                _ring.Consume();
            }
        }
    }

    private void PollLoop()
    {
        RealtimeScheduling.ApplyToCurrentThreadIfRequested();
        try
        {
            Poll();
        }
        finally
        {
            ThreadCpuTime = ThreadCpuClock.Now();
            ThreadWakeups = ReadVoluntaryContextSwitches();
        }
    }

    private void Poll()
    {
        int timeoutMs = IdlePollTimeoutMs;
        while (!_stopping)
        {
            int rc = Consume();
            if (rc == 0)
            {
                rc = _ring.Wait(timeoutMs);
                if (rc == 0)
                {
                    rc = Consume();
                }
            }
            if (_ring.Sink.Fault is { } fault)
            {
                Fault = fault;
                return;
            }
            if (rc < 0 && rc != -Libc.EINTR)
            {
                Fault = new IOException("waiting on the eBPF ring buffer failed: " + Marshal.GetPInvokeErrorMessage(-rc));
                return;
            }
            // While records flow, come back within the wakeup interval for those written without one.
            timeoutMs = rc > 0 ? _busyPollTimeoutMs : IdlePollTimeoutMs;
        }
    }

    private int Consume()
    {
        lock (_consumeGate)
        {
            return _ringClosed ? 0 : _ring.Consume();
        }
    }

    private static long ReadVoluntaryContextSwitches()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/thread-self/status"))
            {
                if (line.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal))
                {
                    return long.Parse(line.AsSpan("voluntary_ctxt_switches:".Length).Trim(), System.Globalization.CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
        }
        return -1;
    }

    /// <summary>Stops the thread (at once), then detaches the program. Records not yet read are discarded.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _stopping = true;
        _ring.Wake();
        if (_thread.IsAlive && _thread != Thread.CurrentThread)
        {
            _thread.Join();
        }
        lock (_consumeGate)
        {
            _ringClosed = true;
            _ring.Dispose();
        }
        _program.Dispose();
    }
}
