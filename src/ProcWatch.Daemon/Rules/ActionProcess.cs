using System.ComponentModel;
using System.IO.Pipes;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using ProcWatch.Interop;

namespace ProcWatch.Rules;

/// <summary>
/// One exec action's process, started so that a timeout kill reaches exactly the action's own
/// processes and nothing else. Process.Kill(entireProcessTree) finds descendants through /proc
/// and signals them by pid: a descendant that exits in between may have its pid taken by an
/// innocent process, and one whose parent exited (re-parented to init) is missed. Instead:
/// - the action starts as the leader of a process group of its own (posix_spawn, SETPGROUP), which
///   its children and grandchildren inherit wherever they are re-parented;
/// - a pidfd of the leader is taken at once (our unreaped child: it cannot be another process);
/// - the leader is reaped only after any kill, so its pid — the group's id — stays reserved;
/// - the kill is pidfd_send_signal(PIDFD_SIGNAL_PROCESS_GROUP) through that pidfd (Linux 6.9+),
///   which names the group by the kernel's pid object, not by a number; older kernels get
///   kill(-pgid), safe because the unreaped leader still holds the number.
/// A descendant that leaves the group on purpose (setsid, setpgid) is out of reach, as it would be
/// for any supervisor without a cgroup of its own.
/// </summary>
internal sealed unsafe class ActionProcess(int pid, int pidfd, Stream stdin, Stream stdout, Stream stderr) : IDisposable
{
    private readonly int _pidfd = pidfd;
    private bool _reaped;
    private int _exitCode = -1;

    public int Pid { get; } = pid;
    public Stream Stdin { get; } = stdin;
    public Stream Stdout { get; } = stdout;
    public Stream Stderr { get; } = stderr;

    /// <summary>The leader's exit code (128 + signal when killed by one); valid after <see cref="Reap"/>.</summary>
    public int ExitCode => _exitCode;

    /// <summary>Starts argv[0] (searched in PATH) with the given environment, standard streams on pipes, all signals at their defaults.</summary>
    /// <exception cref="Win32Exception">The program could not be started (errno).</exception>
    public static ActionProcess Start(IReadOnlyList<string> argv, IEnumerable<KeyValuePair<string, string>> environment)
    {
        int* stdin = stackalloc int[2];
        int* stdout = stackalloc int[2];
        int* stderr = stackalloc int[2];
        OpenPipe(stdin);
        OpenPipe(stdout, stdin);
        OpenPipe(stderr, stdin, stdout);
        var strings = new List<nint>();
        byte* attr = stackalloc byte[Libc.PosixSpawnAttrBytes];
        byte* actions = stackalloc byte[Libc.PosixSpawnFileActionsBytes];
        byte* defaults = stackalloc byte[Libc.SigsetBytes];
        byte* mask = stackalloc byte[Libc.SigsetBytes];
        Libc.PosixSpawnAttrInit(attr);
        Libc.PosixSpawnFileActionsInit(actions);
        int pid = 0, error;
        try
        {
            Libc.PosixSpawnFileActionsAddDup2(actions, stdin[0], 0);
            Libc.PosixSpawnFileActionsAddDup2(actions, stdout[1], 1);
            Libc.PosixSpawnFileActionsAddDup2(actions, stderr[1], 2);
            // .NET ignores SIGPIPE and blocks nothing else here, but an ignored signal survives exec: reset all.
            Libc.SigFillSet(defaults);
            Libc.SigEmptySet(mask);
            Libc.PosixSpawnAttrSetSigDefault(attr, defaults);
            Libc.PosixSpawnAttrSetSigMask(attr, mask);
            Libc.PosixSpawnAttrSetPgroup(attr, 0);
            Libc.PosixSpawnAttrSetFlags(attr, Libc.POSIX_SPAWN_SETPGROUP | Libc.POSIX_SPAWN_SETSIGDEF | Libc.POSIX_SPAWN_SETSIGMASK);
            byte** argvp = NullTerminated(argv, strings);
            var envList = new List<string>();
            foreach (KeyValuePair<string, string> variable in environment)
                envList.Add(variable.Key + "=" + variable.Value);
            byte** envp = NullTerminated(envList, strings);
            error = Libc.PosixSpawnp(out pid, (byte*)argvp[0], actions, attr, argvp, envp);
        }
        finally
        {
            Libc.PosixSpawnFileActionsDestroy(actions);
            Libc.PosixSpawnAttrDestroy(attr);
            foreach (nint s in strings) Marshal.FreeCoTaskMem(s);
            Libc.Close(stdin[0]);
            Libc.Close(stdout[1]);
            Libc.Close(stderr[1]);
        }
        if (error != 0)
        {
            Libc.Close(stdin[1]);
            Libc.Close(stdout[0]);
            Libc.Close(stderr[0]);
            throw new Win32Exception(error);
        }
        // Our child, not reaped by anyone but us: the pid cannot name another process yet.
        int pidfd = Libc.PidfdOpen(pid);
        if (pidfd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            Libc.Kill(-pid, Libc.SIGKILL);
            Libc.WaitPid(pid, out _, 0);
            Libc.Close(stdin[1]);
            Libc.Close(stdout[0]);
            Libc.Close(stderr[0]);
            throw new Win32Exception(errno);
        }
        return new ActionProcess(pid, pidfd, PipeEnd(stdin[1], PipeDirection.Out), PipeEnd(stdout[0], PipeDirection.In), PipeEnd(stderr[0], PipeDirection.In));
    }

    /// <summary>Waits until the leader has exited (it stays unreaped), at most <paramref name="timeout"/>.</summary>
    public Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        long until = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        return Task.Run(() =>
        {
            var entry = new Libc.pollfd { fd = _pidfd, events = Libc.POLLIN };
            while (true)
            {
                int left = (int)Math.Clamp(until - Environment.TickCount64, 0, int.MaxValue);
                int n = Libc.Poll(&entry, 1, left);
                if (n > 0) return true;
                if (n == 0) return false;
                if (Marshal.GetLastPInvokeError() != Libc.EINTR) return false;
            }
        });
    }

    /// <summary>SIGKILLs every process of the action's group. False when nothing could be signalled (already all gone).</summary>
    public bool KillGroup()
    {
        if (Libc.PidfdSendSignal(_pidfd, Libc.SIGKILL, Libc.PIDFD_SIGNAL_PROCESS_GROUP) == 0)
            return true;
        // EINVAL: a kernel before 6.9 (no group flag). The unreaped leader still reserves the group's id.
        if (Marshal.GetLastPInvokeError() == Libc.EINVAL && !_reaped)
            return Libc.Kill(-Pid, Libc.SIGKILL) == 0;
        return false;
    }

    /// <summary>Collects the leader's exit status (blocks until it has exited).</summary>
    public int Reap()
    {
        if (_reaped) return _exitCode;
        int status, result;
        do result = Libc.WaitPid(Pid, out status, 0);
        while (result < 0 && Marshal.GetLastPInvokeError() == Libc.EINTR);
        _reaped = true;
        if (result == Pid)
            _exitCode = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f);
        return _exitCode;
    }

    /// <summary>Never leaves a zombie or a running action behind.</summary>
    public void Dispose()
    {
        if (!_reaped)
        {
            KillGroup();
            Reap();
        }
        Libc.Close(_pidfd);
        Stdin.Dispose();
        Stdout.Dispose();
        Stderr.Dispose();
    }

    private static void OpenPipe(int* fds, int* openA = null, int* openB = null)
    {
        if (Libc.Pipe2(fds, Libc.O_CLOEXEC) == 0) return;
        int errno = Marshal.GetLastPInvokeError();
        foreach (nint open in new[] { (nint)openA, (nint)openB })
        {
            if (open == 0) continue;
            Libc.Close(((int*)open)[0]);
            Libc.Close(((int*)open)[1]);
        }
        throw new Win32Exception(errno);
    }

    private static byte** NullTerminated(IReadOnlyList<string> items, List<nint> allocations)
    {
        nint block = Marshal.AllocCoTaskMem((items.Count + 1) * sizeof(nint));
        allocations.Add(block);
        byte** array = (byte**)block;
        for (int i = 0; i < items.Count; i++)
        {
            nint s = Marshal.StringToCoTaskMemUTF8(items[i]);
            allocations.Add(s);
            array[i] = (byte*)s;
        }
        array[items.Count] = null;
        return array;
    }

    private static Stream PipeEnd(int fd, PipeDirection direction) =>
        new AnonymousPipeClientStream(direction, new SafePipeHandle(fd, ownsHandle: true));
}
