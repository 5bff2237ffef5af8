using ProcWatch.Core;
using ProcWatch.Events;
using ProcWatch.Interop;
using ProcWatch.Kernel.ProcFs;
using ProcWatch.Text;

namespace ProcWatch.Kernel.ProcScan;

/// <summary>
/// Turns successive listings of /proc into fork, exec and exit events. A scan lists the pids
/// (no file reads), reads only the new ones, optionally rechecks the known ones for an exec,
/// and reports the vanished ones as exits. A quick scan (on an inotify wake-up) does not list:
/// it probes the pids allocated since the last scan (see <see cref="LastPid"/>) and leaves
/// exits to the next listing. What happens between two scans is invisible: a
/// process that starts and ends in between is never seen; an exit code is never known.
/// Rechecking is the costly part (reading stat costs ~70 µs per process here, comm ~10 µs),
/// so a recheck reads only comm unless the name changed, and only the processes likely to
/// exec soon are rechecked on every scan: forked copies of their parent and processes
/// started in the last <see cref="ProcfsOptions.RecheckYoungFor"/>. Used from one thread only.
/// </summary>
internal sealed partial class ProcScanner : IDisposable
{
    private readonly ProcDirectory _proc;
    private readonly IEventSink _sink;
    private readonly KernelClock _clock;
    private readonly SystemBoot _boot;
    private readonly ProcessEventKinds _kinds;
    private readonly long _youngNs;
    /// <summary>
    /// What the previous scan saw. Not the pipeline's <c>Tracking.ProcessTable</c>, on purpose:
    /// this is the source's own memory, which the next /proc listing is diffed against to find
    /// forks, execs and exits at all (raw comm and argv to spot a new program, the scan state of
    /// processes caught inside execve); it runs on the scanner thread, upstream of the pipeline,
    /// and the table sees only what the scanner posts (after the kind filter), later.
    /// </summary>
    private readonly Dictionary<int, TrackedProcess> _known = new(1024);
    private readonly List<int> _newPids = new(64);
    private readonly List<int> _reusedPids = new(8);
    private readonly bool _canProbe = LastPid.ProcMatchesOurNamespace();
    /// <summary>The pidfds carried by reported events (<see cref="ProcfsOptions.PinProcesses"/>); null when not pinning.</summary>
    private readonly Pinning.ProcessPinPool? _pins;
    private int _lastPid = -1;
    private uint _scan;
    private long _scanNs;

    public ProcScanner(ProcDirectory proc, IEventSink sink, ProcfsOptions options,
        KernelClock clock, SystemBoot boot)
    {
        _kinds = options.Kinds;
        _youngNs = options.RecheckYoungFor.Ticks * 100;
        _proc = proc;
        _sink = sink;
        _clock = clock;
        _boot = boot;
        _pins = options.PinProcesses ? new Pinning.ProcessPinPool() : null;
    }

    /// <summary>Processes tracked now.</summary>
    public int KnownCount => _known.Count;

    /// <summary>What is remembered of <paramref name="pid"/> (tests).</summary>
    internal TrackedProcess? Find(int pid) => _known.GetValueOrDefault(pid);

    /// <summary>Scans done so far.</summary>
    public long ScanCount => _scan;

    /// <summary>Learns the processes running now, without reporting them.</summary>
    public void Baseline()
    {
        _scan++;
        if (!_canProbe || !LastPid.TryRead(out _lastPid))
            _lastPid = -1;
        foreach (int pid in _proc.ListPids())
        {
            if (TryReadProcess(pid, out TrackedProcess? process, pin: false))
            {
                process.State = process.State == TrackedState.Opaque ? TrackedState.Opaque : TrackedState.Running;
                process.SeenInScan = _scan;
                _known[pid] = process;
            }
        }
    }

    /// <summary>Most pids a quick scan probes one by one; more new pids than that, and it lists /proc.</summary>
    private const int MaxProbedPids = 128;

    /// <summary>
    /// One scan. New pids are read first (short-lived processes are the ones that race us),
    /// then forked and young processes are checked for an exec, and every known process too
    /// when <paramref name="recheckAll"/>. A listing scan also reports exits; a quick scan
    /// (<paramref name="list"/> false) probes only the pids allocated since the last scan,
    /// and lists anyway when it cannot (pid wrap-around, too many new pids).
    /// </summary>
    /// <returns>True when /proc was listed (exits reported).</returns>
    public bool Scan(bool list, bool recheckAll)
    {
        _scan++;
        _scanNs = KernelClock.MonotonicNs();
        int previousLastPid = _lastPid;
        if (!_canProbe || !LastPid.TryRead(out _lastPid))
            _lastPid = -1;
        if (!list && !ProbeNewPids(previousLastPid, _lastPid))
            list = true;

        if (list)
        {
            _newPids.Clear();
            foreach (int pid in _proc.ListPids())
            {
                if (_known.TryGetValue(pid, out TrackedProcess? known))
                    known.SeenInScan = _scan;
                else
                    _newPids.Add(pid);
            }
            foreach (int pid in _newPids)
                OnNewPid(pid);
        }

        _reusedPids.Clear();
        foreach (TrackedProcess process in _known.Values)
        {
            // A quick scan did not see the known pids; rechecking one that is gone just fails.
            if (list && process.SeenInScan != _scan)
                continue;
            if (process.State == TrackedState.ArgsPending)
                ResolvePending(process);
            else if (process.State == TrackedState.Forked
                || (process.State == TrackedState.Running && (recheckAll || _scanNs - process.FirstSeenNs < _youngNs)))
                Recheck(process);
        }
        // Read after the loop: adding to the dictionary while enumerating it is not allowed.
        foreach (int pid in _reusedPids)
            OnNewPid(pid);

        if (!list)
            return false;
        // Removing the current entry while enumerating a Dictionary is allowed (.NET Core 3+).
        foreach (KeyValuePair<int, TrackedProcess> entry in _known)
        {
            if (entry.Value.SeenInScan != _scan)
            {
                _known.Remove(entry.Key);
                ReportExit(entry.Value);
            }
        }
        return true;
    }

    /// <summary>Reads the processes among the pids allocated in (previous, current]; false when a listing is needed instead.</summary>
    private bool ProbeNewPids(int previous, int current)
    {
        if (previous < 0 || current < 0 || current < previous || current - previous > MaxProbedPids)
            return false; // unknown, wrapped around, or a burst: list
        for (int pid = previous + 1; pid <= current; pid++)
        {
            // Thread ids come from the same counter: only thread group leaders are processes.
            if (_known.TryGetValue(pid, out TrackedProcess? known))
                CheckReuse(known); // allocated again after a wrap-around: a new process?
            else if (LastPid.IsProcess(pid))
                OnNewPid(pid);
        }
        return true;
    }

    private void OnNewPid(int pid)
    {
        if (!TryReadProcess(pid, out TrackedProcess? process))
            return; // gone already: it lived between two scans
        process.SeenInScan = _scan;
        _known[pid] = process;
        if (process.State == TrackedState.Opaque)
            return;
        if (process.ArgsUnreadyAtRead)
        {
            // Caught inside execve (the new program's argv is not mapped yet): decide next scan.
            process.State = TrackedState.ArgsPending;
            process.PendingIsNew = true;
            return;
        }
        ReportNew(process);
    }

    /// <summary>A known process: reused pid (new start time) or a new program (name, executable or argv changed)?</summary>
    private void Recheck(TrackedProcess process)
    {
        if (!TryCompareComm(process, out bool sameName))
            return; // exiting: the next listing reports it
        // A running program that keeps its name has not exec'd (or exec'd itself: not seen).
        if (sameName && process.State == TrackedState.Running)
            return;
        // A forked copy that keeps its name may still have exec'd the same-named program (sh → sh -c ...).
        if (sameName && ProcCmdline.TryReadArgs(process.Pid, out string[] current) && process.Args is not null
            && ArgsEqual(current, process.Args))
            return;

        // Something changed: read the process again, consistently, through its directory.
        if (!TryReadProcess(process.Pid, out TrackedProcess? now) || now.State == TrackedState.Opaque)
            return;
        if (now.StartTimeTicks != process.StartTimeTicks || process.Pin?.HasExited() == true)
        {
            // The pid was reused between two scans: the old process ended, a new one began
            // (within the same clock tick, only its pidfd can tell).
            _known.Remove(process.Pid);
            ReportExit(process);
            _reusedPids.Add(process.Pid);
            return;
        }
        bool execd = now.ArgsUnreadyAtRead
            || (now.Executable is not null && !string.Equals(now.Executable, process.Executable, StringComparison.Ordinal))
            || (now.Args is not null && (process.Args is null || !ArgsEqual(now.Args, process.Args)));
        process.Comm = now.Comm;
        process.CommBytes = now.CommBytes;
        process.ParentPid = now.ParentPid;
        if (!execd)
            return; // renamed itself (prctl), same program
        TakeProgram(process, now);
        if (now.ArgsUnreadyAtRead)
        {
            // Inside execve: report the exec once the new argv can be read.
            process.State = TrackedState.ArgsPending;
            process.PendingIsNew = false;
            return;
        }
        process.State = TrackedState.Running;
        ReportExec(process);
    }

    private void CheckReuse(TrackedProcess process)
    {
        if (process.State == TrackedState.Opaque || !ProcStat.TryRead(process.Pid, out ProcStat stat)
            || stat.StartTimeTicks == process.StartTimeTicks)
            return;
        _known.Remove(process.Pid);
        ReportExit(process);
        OnNewPid(process.Pid);
    }

    /// <summary>A process caught inside execve: once its argv is readable, report what it became.</summary>
    private void ResolvePending(TrackedProcess process)
    {
        if (!TryReadProcess(process.Pid, out TrackedProcess? now) || now.State == TrackedState.Opaque)
            return; // exiting: its exit reports it
        if (now.StartTimeTicks != process.StartTimeTicks)
        {
            _known.Remove(process.Pid);
            ReportExit(process);
            _reusedPids.Add(process.Pid);
            return;
        }
        TakeProgram(process, now);
        process.Comm = now.Comm;
        process.CommBytes = now.CommBytes;
        process.ParentPid = now.ParentPid;
        if (now.ArgsUnreadyAtRead)
            return;
        if (process.PendingIsNew)
        {
            ReportNew(process);
            return;
        }
        process.State = TrackedState.Running;
        ReportExec(process);
    }

    /// <summary>The process runs a new program: remember it, and recheck it on every scan for a while.</summary>
    private void TakeProgram(TrackedProcess process, TrackedProcess now)
    {
        process.Args = now.Args;
        process.Executable = now.Executable;
        process.Info = now.Info;
        process.Pin = now.Pin;
        process.FirstSeenNs = _scanNs; // a fresh program is likely to exec again soon (wrappers, sh -c)
    }

    public void Dispose()
    {
        _proc.Dispose();
        _pins?.Dispose();
    }
}
