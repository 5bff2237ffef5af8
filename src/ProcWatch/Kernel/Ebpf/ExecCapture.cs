using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;

namespace ProcWatch.Kernel.Ebpf;

/// <summary>
/// Exact argv for every exec: an eBPF program on <c>tracepoint/sched/sched_process_exec</c>
/// copies argv out of the new image before it runs, and a dedicated thread drains the BPF
/// ring buffer, handing each exec to the callback as an <see cref="ExecRecord"/>.
/// </summary>
/// <remarks>
/// Needs Linux with BTF, libbpf.so.1 and CAP_BPF + CAP_PERFMON (or root); <see cref="TryStart"/>
/// says in one line why not otherwise. Every exec after <see cref="TryStart"/> returns is
/// captured; execs the ring could not hold are counted in <see cref="Drops"/>, never silent.
/// The callback runs on the capture thread, one record at a time, and should be quick.
/// </remarks>
public sealed class ExecCapture : IDisposable
{
    /// <summary>Argv bytes kept per exec (EXEC_ARGV_CAP); longer argv sets <see cref="ExecRecord.ArgvTruncated"/>.</summary>
    public const int ArgvCapBytes = exec_record_header.ARGV_CAP;

    /// <summary>Default wakeup batching: see exec_settings in bpf/exec_capture.h.</summary>
    internal static readonly TimeSpan DefaultWakeupInterval = TimeSpan.Zero;

    /// <summary>Default ring size: about 40,000 typical execs of headroom.</summary>
    public const int DefaultRingBufferBytes = 4 * 1024 * 1024;

    /// <summary>Longest wait between polls: bounds Dispose and the delay of any record written without a wakeup.</summary>
    private const int IdlePollTimeoutMs = 100;

    private readonly ExecCaptureProgram _program;
    private readonly IRingReader _ring;
    private readonly Thread _thread;
    private readonly int _busyPollTimeoutMs;
    private volatile bool _stopping;
    private int _disposed;

    private ExecCapture(ExecCaptureProgram program, IRingReader ring, TimeSpan wakeupInterval)
    {
        _program = program;
        _ring = ring;
        _busyPollTimeoutMs = wakeupInterval == TimeSpan.Zero ? IdlePollTimeoutMs : Math.Max(1, (int)wakeupInterval.TotalMilliseconds);
        _thread = new Thread(PollLoop) { IsBackground = true, Name = "procwatch-ebpf" };
    }

    /// <summary>Loads and attaches the program and starts draining; false with a one-line reason when eBPF is unusable here.</summary>
    public static bool TryStart(Action<ExecRecord> onRecord, [NotNullWhen(true)] out ExecCapture? capture, [NotNullWhen(false)] out string? unavailableReason)
        => TryStart(onRecord, DefaultRingBufferBytes, out capture, out unavailableReason);

    /// <param name="ringBufferBytes">A power of two, at least the page size.</param>
    public static bool TryStart(Action<ExecRecord> onRecord, int ringBufferBytes, [NotNullWhen(true)] out ExecCapture? capture, [NotNullWhen(false)] out string? unavailableReason)
        => TryStart(onRecord, ringBufferBytes, RingReaderKind.Libbpf, DefaultWakeupInterval, startThread: true, out capture, out unavailableReason);

    /// <param name="wakeupInterval">Zero: a wakeup per record when the reader is idle (the kernel's default). Otherwise at most one per interval.</param>
    /// <param name="startThread">False for the benchmark, which drains with <see cref="DrainOnce"/> itself.</param>
    internal static bool TryStart(Action<ExecRecord> onRecord, int ringBufferBytes, RingReaderKind readerKind, TimeSpan wakeupInterval, bool startThread, [NotNullWhen(true)] out ExecCapture? capture, [NotNullWhen(false)] out string? unavailableReason)
    {
        ArgumentNullException.ThrowIfNull(onRecord);
        if (ringBufferBytes < Environment.SystemPageSize || !int.IsPow2(ringBufferBytes))
        {
            throw new ArgumentOutOfRangeException(nameof(ringBufferBytes), ringBufferBytes, "must be a power of two, at least the page size");
        }
        capture = null;
        if (!EbpfPrerequisites.TryCheck(out unavailableReason))
        {
            return false;
        }
        var settings = new exec_settings
        {
            wakeup_interval_ns = (ulong)(wakeupInterval.Ticks * 100),
            wakeup_bytes = (ulong)ringBufferBytes / 4, // wake early rather than fill up
        };
        if (!ExecCaptureProgram.TryLoad(ringBufferBytes, settings, out ExecCaptureProgram? program, out unavailableReason))
        {
            return false;
        }
        var sink = new RecordSink(onRecord);
        IRingReader? ring;
        int errno;
        if (readerKind == RingReaderKind.Mmap)
        {
            MmapRingBuffer.TryCreate(program.EventsMapFd, ringBufferBytes, sink, out MmapRingBuffer? mmapRing, out errno);
            ring = mmapRing;
        }
        else
        {
            LibbpfRingBuffer.TryCreate(program.EventsMapFd, sink, out LibbpfRingBuffer? libbpfRing, out errno);
            ring = libbpfRing;
        }
        if (ring is null)
        {
            program.Dispose();
            unavailableReason = "creating the ring buffer reader failed: " + Marshal.GetPInvokeErrorMessage(errno);
            return false;
        }
        capture = new ExecCapture(program, ring, wakeupInterval);
        if (startThread)
        {
            capture._thread.Start();
        }
        return true;
    }

    /// <summary>Execs the kernel saw but could not hand over (ring buffer full): read from the per-CPU counters.</summary>
    public ulong Drops =>
        _program.ReadCounter(exec_record_header.EXEC_COUNTER_RINGBUF_DROPS) +
        _program.ReadCounter(exec_record_header.EXEC_COUNTER_SCRATCH_MISSING);

    /// <summary>Records delivered to the callback.</summary>
    public long Received => _ring.Sink.Received;

    /// <summary>CPU time the capture thread used, known once it has stopped (for the benchmark).</summary>
    internal TimeSpan ThreadCpuTime { get; private set; }

    /// <summary>Times the capture thread went to sleep and was woken, known once it has stopped (for the benchmark).</summary>
    internal long ThreadWakeups { get; private set; }

    /// <summary>Set when the capture stopped on its own: the callback threw, or polling failed.</summary>
    public Exception? Fault { get; private set; }

    /// <summary>Consumes what the ring holds on the calling thread, without waiting (benchmark only, thread not started).</summary>
    internal int DrainOnce() => _ring.Poll(0);

    private void PollLoop()
    {
        try
        {
            Poll();
        }
        finally
        {
            ThreadCpuTime = Interop.Libc.CurrentThreadCpuTime();
            ThreadWakeups = ReadVoluntaryContextSwitches();
        }
    }

    private void Poll()
    {
        const int EINTR = Interop.Libc.EINTR;
        int timeoutMs = IdlePollTimeoutMs;
        while (!_stopping)
        {
            int rc = _ring.Poll(timeoutMs);
            // While records flow, come back within the wakeup interval for those written without one.
            timeoutMs = rc > 0 ? _busyPollTimeoutMs : IdlePollTimeoutMs;
            if (_ring.Sink.Fault is { } fault)
            {
                Fault = fault;
                return;
            }
            if (rc < 0 && rc != -EINTR)
            {
                Fault = new IOException("ring_buffer__poll failed: " + Marshal.GetPInvokeErrorMessage(-rc));
                return;
            }
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

    /// <summary>Detaches the program and stops the thread (within 100 ms).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _stopping = true;
        if (_thread.IsAlive && _thread != Thread.CurrentThread)
        {
            _thread.Join();
        }
        _ring.Dispose();
        _program.Dispose();
    }
}
