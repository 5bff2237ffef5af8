using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using ProcWatch.Core;
using ProcWatch.Interop;
using ProcWatch.Kernel.Fanotify;

namespace ProcWatch.Kernel.Enforcement;

/// <summary>
/// Deny rules at the fanotify level: a <c>FAN_CLASS_CONTENT</c> group with
/// <c>FAN_OPEN_EXEC_PERM</c> marks on every local filesystem. The kernel asks before it opens
/// a file for execution (the program, a <c>#!</c> script and then its interpreter, the ELF
/// interpreter) and waits for the answer; <c>FAN_DENY</c> makes that execve fail with EPERM
/// and the caller goes on. Judged by <see cref="PermissionJudge"/> on the same compiled
/// <see cref="KernelPolicy"/> the kernel program has.
/// <para>
/// Every exec on the host waits for this one thread (<c>procwatch-execgate</c>), so it: answers
/// every event it reads, always; answers ALLOW when anything goes wrong inside (counted in
/// <see cref="Errors"/>: a bug here must never freeze the host, and the tp_btf program below,
/// when loaded, still judges what was allowed); never execs, never takes a lock another
/// ProcWatch thread holds while it waits, never waits for the event queue (denials leave
/// through <c>report</c>, which must not block). The queue is unlimited, so the kernel never drops
/// (and so silently allows) a permission event: each waiting exec holds one entry. When the
/// group's descriptor closes (disposal, or the process dying, even by SIGKILL), the kernel
/// allows every waiting exec and asks nothing more. Stopping the process (SIGSTOP, a debugger)
/// makes every exec on the host wait: docs/prevention.md says so.
/// </para>
/// <para>
/// Cost: each event is a wake-up, a descriptor, an fstat and a write. A file no rule's file
/// condition can match gets an ignore mark on its inode (<see cref="MayIgnore"/>), so the
/// kernel stops asking until the file is modified (the mark is cleared then); a storm of one
/// program costs one question per file. Reload and a newly denied hash flush all ignore marks.
/// </para>
/// <para>
/// A question the thread has not answered within <see cref="AnswerDeadline"/> (a read that
/// blocks, a hash on a slow disk) is answered by a watchdog with the verdict decided so far,
/// and what queues behind it meanwhile is allowed: the backstop judges those execs
/// (ExecPermissionGate.Deadline.cs).
/// </para>
/// </summary>
internal sealed partial class ExecPermissionGate : IDisposable
{
    /// <summary>Ignore marks at once; then all are flushed and rebuilt as files run again.</summary>
    internal const int MaxIgnoreMarks = 16384;

    private const int BufferSize = 16 * 1024;

    private readonly int _fd;
    private readonly int _wake;
    private readonly Thread _thread;
    private readonly PermissionJudge _judge;
    private readonly bool _backstop;
    private readonly Action<PermissionDenial> _report;
    private readonly CallerMemory _memory = new(ExecFileHolder.LocalFilesystemDevices(IsRemoteOrUserSpace));
    private KernelPolicy _policy;
    private int _epoch;
    private int _liveIgnoreMarks;
    private uint _evictable = Libc.FAN_MARK_EVICTABLE;
    private volatile bool _stopping;
    private int _closed;
    private long _events, _denied, _audited, _errors, _ignoreMarks, _answerFailures;

    private ExecPermissionGate(int fd, int wake, KernelPolicy policy, PermissionJudge judge, bool backstop, Action<PermissionDenial> report)
    {
        _fd = fd;
        _wake = wake;
        _policy = policy;
        _judge = judge;
        _backstop = backstop;
        _report = report;
        _thread = new Thread(RunThenClose) { IsBackground = true, Name = "procwatch-execgate" };
        _watchdog = new Thread(Watch) { IsBackground = true, Name = "procwatch-gatewatch" };
    }

    /// <summary>Filesystems marked.</summary>
    internal int Filesystems { get; private set; }

    /// <summary>Permission events answered.</summary>
    internal long Events => Interlocked.Read(ref _events);

    internal long Denied => Interlocked.Read(ref _denied);

    internal long Audited => Interlocked.Read(ref _audited);

    /// <summary>The judgement's own counters (files hashed before their exec was answered, for <c>sha256</c> rules).</summary>
    internal PermissionJudge Judge => _judge;

    /// <summary>Events answered ALLOW because judging failed inside ProcWatch (the tp_btf backstop still judges them).</summary>
    internal long Errors => Interlocked.Read(ref _errors);

    /// <summary>Answers the kernel did not take (the exec'ing process was killed while it waited).</summary>
    internal long AnswerFailures => Interlocked.Read(ref _answerFailures);

    /// <summary>Denials reported without argv: it was in memory whose read could block (<see cref="CallerMemory"/>).</summary>
    internal long ArgvSkipped => _memory.Skipped;

    /// <summary>Ignore marks added (files no rule can match, not asked about again until modified).</summary>
    internal long IgnoreMarks => Interlocked.Read(ref _ignoreMarks);

    /// <summary>
    /// Starts the gate, or says why not (<paramref name="failure"/>: the call and its errno).
    /// </summary>
    /// <param name="backstop">The tp_btf program is loaded below: what this gate allows is judged again after the exec.</param>
    /// <param name="report">Takes each denial and audit; must not block (a bounded hand-off).</param>
    internal static bool TryStart(KernelPolicy policy, PermissionJudge judge, bool backstop, Action<PermissionDenial> report,
        [NotNullWhen(true)] out ExecPermissionGate? gate, out Failure failure)
    {
        gate = null;
        uint flags = Libc.FAN_CLASS_CONTENT | Libc.FAN_CLOEXEC | Libc.FAN_NONBLOCK | Libc.FAN_UNLIMITED_QUEUE | Libc.FAN_REPORT_TID;
        int fd = Libc.FanotifyInit(flags, (uint)(Libc.O_RDONLY | Libc.O_LARGEFILE | Libc.O_CLOEXEC));
        if (fd < 0)
        {
            failure = Fail("fanotify_init(FAN_CLASS_CONTENT)", Marshal.GetLastPInvokeError());
            return false;
        }
        int wake = Libc.EventFd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        if (wake < 0)
        {
            failure = new Failure(FailureKind.SystemError, Marshal.GetLastPInvokeError(), FailureStep.CreateEventFd);
            Libc.Close(fd);
            return false;
        }
        // A crash of this process with a pipe core_pattern (systemd-coredump, apport) would exec
        // the kernel's dump helper while the dying process still holds the group and its gate
        // thread is gone: the helper, the dump and every exec on the host would wait forever.
        // No core dump while the gate is up (set once; it stays for the process's life).
        Libc.Prctl(Libc.PR_SET_DUMPABLE, 0, 0, 0, 0);
        gate = new ExecPermissionGate(fd, wake, policy, judge, backstop, report);
        gate._thread.Start(); // reading before the first mark: no exec ever waits for a thread not yet running
        gate._watchdog.Start();
        int marks = 0, lastErrno = 0;
        foreach (string mountPoint in ExecFileHolder.LocalFilesystems(IsRemoteOrUserSpace))
        {
            if (Libc.FanotifyMark(fd, Libc.FAN_MARK_ADD | Libc.FAN_MARK_FILESYSTEM, Libc.FAN_OPEN_EXEC_PERM, Libc.AT_FDCWD, mountPoint) == 0)
                marks++;
            else
                lastErrno = Marshal.GetLastPInvokeError();
        }
        if (marks == 0)
        {
            gate.Dispose();
            gate = null;
            failure = Fail("fanotify_mark(FAN_MARK_FILESYSTEM, FAN_OPEN_EXEC_PERM)", lastErrno);
            return false;
        }
        gate.Filesystems = marks;
        failure = default;
        return true;
    }

    /// <summary>
    /// Whether this host gives permission events for exec (doctor): a group, and a mark on
    /// this program's own file only (never a filesystem: nothing else waits for the probe),
    /// closed at once.
    /// </summary>
    internal static bool Probe(out Failure failure)
    {
        int fd = Libc.FanotifyInit(Libc.FAN_CLASS_CONTENT | Libc.FAN_CLOEXEC | Libc.FAN_NONBLOCK | Libc.FAN_REPORT_TID, (uint)(Libc.O_RDONLY | Libc.O_LARGEFILE | Libc.O_CLOEXEC));
        if (fd < 0)
        {
            failure = Fail("fanotify_init(FAN_CLASS_CONTENT)", Marshal.GetLastPInvokeError());
            return false;
        }
        try
        {
            if (Libc.FanotifyMark(fd, Libc.FAN_MARK_ADD, Libc.FAN_OPEN_EXEC_PERM, Libc.AT_FDCWD, "/proc/self/exe") != 0)
            {
                failure = Fail("fanotify_mark(FAN_OPEN_EXEC_PERM)", Marshal.GetLastPInvokeError());
                return false;
            }
            failure = default;
            return true;
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    /// <summary>
    /// Filesystems the gate does not mark: judging a file means stat'ing it and its directories,
    /// and on these a server or a user's daemon answers that, possibly never (a FUSE daemon
    /// any user can run, a hung NFS server), while every exec on the host waits. Their files
    /// are judged by the backstop only.
    /// </summary>
    internal static bool IsRemoteOrUserSpace(string type) =>
        type.StartsWith("fuse", StringComparison.Ordinal) || type.StartsWith("nfs", StringComparison.Ordinal)
        || type is "cifs" or "smb3" or "9p" or "ceph" or "glusterfs" or "afs" or "lustre" or "gfs2" or "ocfs2";

    private static Failure Fail(string call, int errno) =>
        new(errno == Libc.EPERM ? FailureKind.NoPrivilege : FailureKind.KernelUnsupported, errno, FailureStep.FanotifyPermission, call);

    /// <summary>Judges by <paramref name="policy"/> from now on; ignore marks made under the old one are flushed.</summary>
    internal void Reload(KernelPolicy policy)
    {
        Volatile.Write(ref _policy, policy);
        FlushIgnoreMarks();
    }

    /// <summary>A file hashed to a digest a rule denies: denied at its next exec (its ignore mark, if any, is flushed).</summary>
    internal void OnHashed(FileIdentity file, string sha256)
    {
        KernelPolicy policy = Volatile.Read(ref _policy);
        if (!policy.Hashes.ContainsKey(sha256) || _judge.Hashed.Count >= DenyLimits.FILES_MAX)
            return;
        if (_judge.Hashed.TryAdd(file, sha256))
            FlushIgnoreMarks();
    }

    /// <summary>
    /// Whether a file no rule's file condition matches may be left unasked until modified.
    /// Never with a rule that names no file (it matches every file). An ignore mark sits on
    /// the inode, so a hard link or rename of that inode into a denied directory, or its last
    /// link removed (fileless), would then not be asked about: only with the tp_btf backstop
    /// loaded, which judges those after the exec (SIGKILL, one denial event), or with no
    /// directory and fileless rules.
    /// </summary>
    private bool MayIgnore(KernelPolicy policy) =>
        policy.AnyFile.Count == 0 && (_backstop || (policy.Directories.Count == 0 && policy.Fileless.Count == 0));

    /// <summary>
    /// The epoch moves before every flush: an ignore mark added by a judgement under an older
    /// epoch is removed again by its adder (<see cref="Ignore"/>), so no mark outlives the
    /// policy it was judged under.
    /// </summary>
    private void FlushIgnoreMarks()
    {
        Interlocked.Increment(ref _epoch);
        Libc.FanotifyMark(_fd, Libc.FAN_MARK_FLUSH, 0, Libc.AT_FDCWD, null); // inode marks only: the filesystem marks stay
        Interlocked.Exchange(ref _liveIgnoreMarks, 0);
    }

    /// <summary>
    /// The thread: it closes the group as it leaves, for any reason, so that a gate that
    /// stopped answering never leaves the host's execs waiting on it.
    /// </summary>
    private void RunThenClose()
    {
        try
        {
            Run();
        }
        finally
        {
            CloseGroup();
        }
    }

    private unsafe void Run()
    {
        // One event per read: an event read is this thread's to answer, and the watchdog can
        // answer only what is still queued; a batch read would take 680 execs hostage to the
        // first one's stall. This group reports no info records, so every event is one metadata.
        nuint size = (nuint)sizeof(Libc.fanotify_event_metadata);
        byte* buffer = stackalloc byte[BufferSize];
        Span<Libc.pollfd> fds = stackalloc Libc.pollfd[2];
        while (!_stopping)
        {
            fds[0] = new Libc.pollfd { fd = _fd, events = Libc.POLLIN };
            fds[1] = new Libc.pollfd { fd = _wake, events = Libc.POLLIN };
            fixed (Libc.pollfd* p = fds)
                Libc.Poll(p, 2, -1);
            // Answer what is queued even when stopping: closing the group would allow it anyway.
            while (true)
            {
                nint n = Libc.Read(_fd, buffer, size);
                if (n <= 0)
                {
                    // An event larger than one metadata (a kernel adding info records): read whole batches from then on.
                    if (n < 0 && Marshal.GetLastPInvokeError() == Libc.EINVAL && size < BufferSize)
                    {
                        size = BufferSize;
                        continue;
                    }
                    break;
                }
                for (nint at = 0; FanotifyEvents.Next(buffer, n, ref at, out Libc.fanotify_event_metadata m);)
                {
                    if (m.fd < 0)
                        continue;
                    if ((m.mask & Libc.FAN_OPEN_EXEC_PERM) != 0)
                        Handle(m.fd, m.pid);
                    else
                        Libc.Close(m.fd);
                }
            }
        }
    }

    private void Handle(int fd, int tid)
    {
        Interlocked.Increment(ref _events);
        Begin(fd);
        uint answer = Libc.FAN_ALLOW;
        PermissionDenial? denial = null;
        try
        {
            BeforeJudge?.Invoke(fd);
            int epoch = Volatile.Read(ref _epoch);
            KernelPolicy policy = Volatile.Read(ref _policy);
            PermissionVerdict v = _judge.Judge(policy, fd, tid);
            if (v.Rule >= 0)
            {
                // The verdict stands whatever reading its context does: decided first, and
                // published, so that the watchdog answers it if the read stalls.
                if (!v.Audit)
                {
                    answer = Libc.FAN_DENY;
                    Decided(answer);
                }
                // Read before answering: the caller's memory (argv) and /proc entry are only certain while it waits.
                denial = GatherOrCount(policy.Rules[v.Rule], v, fd, tid);
            }
            else if (!v.FileMatched && v.Nlink > 0 && !v.HashMissing && MayIgnore(policy))
            {
                // Not with a file whose hash could not be taken (sha256 rules): asked again at its next exec.
                Ignore(fd, epoch);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Interlocked.Increment(ref _errors); // allowed: see the class remarks
            answer = Libc.FAN_ALLOW;
            denial = null;
        }
        lock (_answerLock)
        {
            if (_inFlightAnswered)
            {
                // The watchdog answered at the deadline, with the verdict decided by then.
                Interlocked.Increment(ref _lateVerdicts);
                if (denial is not null && (_inFlightVerdict == Libc.FAN_DENY || !_backstop))
                {
                    // Refused: reported as such. Allowed with no backstop to judge it: it ran, and
                    // is reported as an exec the rule would have refused (never silently).
                    denial.Audit |= _inFlightVerdict != Libc.FAN_DENY;
                    Interlocked.Increment(ref denial.Audit ? ref _audited : ref _denied);
                    _report(denial);
                }
                // Allowed with the backstop: it judges (and reports) that exec.
            }
            else
            {
                if (denial is not null)
                {
                    // Before the answer: an audited exec goes on at once, and the backstop's record of it must find it reported.
                    Interlocked.Increment(ref denial.Audit ? ref _audited : ref _denied);
                    _report(denial);
                }
                Answer(fd, answer);
            }
            _inFlight = -1; // before the close: the watchdog never answers a number the kernel may reuse
            Libc.Close(fd);
        }
    }

    /// <summary>The denial's context; null (counted in <see cref="_errors"/>, the verdict kept) when reading it failed.</summary>
    private PermissionDenial? GatherOrCount(DenyRule rule, in PermissionVerdict v, int fd, int tid)
    {
        try
        {
            return PermissionDenial.Gather(rule, v, fd, tid, _memory);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Interlocked.Increment(ref _errors);
            Interlocked.Increment(ref v.Audit ? ref _audited : ref _denied); // still counted as what it was
            return null;
        }
    }

    private unsafe void Answer(int fd, uint answer)
    {
        var response = new Libc.fanotify_response { fd = fd, response = answer };
        while (Libc.Write(_fd, (byte*)&response, (nuint)sizeof(Libc.fanotify_response)) < 0)
        {
            if (Marshal.GetLastPInvokeError() != Libc.EINTR)
            {
                Interlocked.Increment(ref _answerFailures);
                return;
            }
        }
    }

    /// <summary>Stops the kernel asking about this inode until it is modified (or the marks are flushed).</summary>
    private void Ignore(int fileFd, int epoch)
    {
        if (Volatile.Read(ref _liveIgnoreMarks) >= MaxIgnoreMarks)
            FlushIgnoreMarks();
        uint flags = Libc.FAN_MARK_ADD | Libc.FAN_MARK_IGNORED_MASK;
        int rc = Libc.FanotifyMark(_fd, flags | _evictable, Libc.FAN_OPEN_EXEC_PERM, fileFd, null);
        if (rc != 0 && _evictable != 0 && Marshal.GetLastPInvokeError() == Libc.EINVAL)
        {
            _evictable = 0; // before Linux 5.19: plain marks, which pin their inodes (bounded above)
            rc = Libc.FanotifyMark(_fd, flags, Libc.FAN_OPEN_EXEC_PERM, fileFd, null);
        }
        if (rc != 0)
            return;
        Interlocked.Increment(ref _liveIgnoreMarks);
        Interlocked.Increment(ref _ignoreMarks);
        if (Volatile.Read(ref _epoch) != epoch)
            Libc.FanotifyMark(_fd, Libc.FAN_MARK_REMOVE | Libc.FAN_MARK_IGNORED_MASK, Libc.FAN_OPEN_EXEC_PERM, fileFd, null); // judged under a policy gone since
    }

    /// <summary>Stops the thread (it answers what it already read), then closes the group: the kernel allows every exec still waiting.</summary>
    public void Dispose()
    {
        if (_stopping)
            return;
        _stopping = true;
        // No new questions from here: the filesystem marks go first, so nothing waits on a
        // group whose thread is leaving; what is already queued is still answered.
        Libc.FanotifyMark(_fd, Libc.FAN_MARK_FLUSH | Libc.FAN_MARK_FILESYSTEM, 0, Libc.AT_FDCWD, null);
        unsafe
        {
            ulong one = 1;
            Libc.Write(_wake, (byte*)&one, 8);
        }
        // Still answering (a /proc read slow under load): the thread closes the group itself
        // when it leaves (closing it here could let it write an answer into a reused number).
        if (!_thread.IsAlive || _thread.Join(TimeSpan.FromSeconds(5)))
            CloseGroup();
    }

    /// <summary>Closes the group once (the kernel then allows every exec still waiting), from Dispose or from the thread as it leaves.</summary>
    private void CloseGroup()
    {
        lock (_answerLock) // the watchdog uses the group's number only under it, and only while open
        {
            if (Interlocked.Exchange(ref _closed, 1) != 0)
                return;
            Libc.Close(_fd);
            Libc.Close(_wake);
        }
    }
}
