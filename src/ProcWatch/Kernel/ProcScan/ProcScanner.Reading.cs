using ProcWatch.Interop;
using ProcWatch.Kernel.Pinning;
using ProcWatch.Kernel.ProcFs;
using ProcWatch.Text;

namespace ProcWatch.Kernel.ProcScan;

/// <summary>Reading a process from /proc and comparing it with what is remembered.</summary>
internal sealed partial class ProcScanner
{
    /// <summary>Compares /proc/PID/comm with the remembered name, without allocating; false when unreadable.</summary>
    private static bool TryCompareComm(TrackedProcess process, out bool same)
    {
        Span<byte> path = stackalloc byte[ProcPath.MaxLength];
        ProcPath.Format(path, process.Pid, "comm"u8);
        Span<byte> buffer = stackalloc byte[64];
        same = false;
        if (!ProcFile.TryRead(Libc.AT_FDCWD, path, buffer, out ProcFile file, out _))
            return false;
        using (file)
            same = file.Content.TrimEnd((byte)'\n').SequenceEqual(process.CommBytes);
        return true;
    }

    /// <param name="pin">Pin the process (when the scanner pins): the pidfd is opened before anything is read, and kept only when the process still holds the pid after the reads.</param>
    private bool TryReadProcess(int pid, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out TrackedProcess? process, bool pin = true)
    {
        ProcessPin? pidfd = pin && _pins is not null ? ProcessPin.TryOpen(pid) : null;
        bool read = TryReadUnpinned(pid, out process);
        if (pidfd is null)
            return read;
        if (read && process!.State != TrackedState.Opaque && pidfd.TryConfirm())
        {
            pidfd.Executable = process.Executable;
            pidfd.Name = process.Comm;
            _pins!.Hold(pidfd);
            process.Pin = pidfd;
        }
        else
        {
            pidfd.Release();
        }
        return read;
    }

    private bool TryReadUnpinned(int pid, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out TrackedProcess? process)
    {
        process = null;
        if (!ProcessDirectory.TryOpen(pid, out ProcessDirectory directory))
            return false;
        using (directory)
        {
            if (!directory.TryReadStat(out ProcStat stat))
            {
                // Listed but unreadable: hidepid=1 hides other users' process contents.
                process = new TrackedProcess { Pid = pid, State = TrackedState.Opaque };
                return true;
            }
            string[]? args = directory.TryReadArgs(out string[] a) ? a : null;
            string? executable = directory.TryReadExecutable(out string exe, out bool deleted) ? exe : null;
            // Empty argv from a user process that is not a zombie: it is inside execve, between
            // exec_mmap and create_elf_tables, where the new mm has no arguments yet.
            bool unready = args is { Length: 0 } && !stat.IsKernelThread && stat.State != 'Z';
            process = new TrackedProcess
            {
                Pid = pid,
                ArgsUnreadyAtRead = unready,
                StartTimeTicks = stat.StartTimeTicks,
                StartMonotonicNs = _boot.StartTicksToMonotonicNs(stat.StartTimeTicks),
                ParentPid = stat.ParentPid,
                Comm = stat.Comm,
                CommBytes = ProcText.Encode(stat.Comm),
                FirstSeenNs = _scanNs,
                Executable = executable,
                Args = unready ? null : args,
            };
            process.Info = Describe(process, deleted, stat.IsKernelThread);
            return true;
        }
    }

    /// <summary>True when the child still runs its parent's program: same executable (when readable) and argv (or name).</summary>
    private static bool SameProgram(TrackedProcess parent, TrackedProcess child)
    {
        if (child.Executable is not null && parent.Executable is not null
            && !string.Equals(child.Executable, parent.Executable, StringComparison.Ordinal))
            return false;
        if (child.Args is not null && parent.Args is not null)
            return ArgsEqual(child.Args, parent.Args);
        return string.Equals(child.Comm, parent.Comm, StringComparison.Ordinal);
    }

    private static bool ArgsEqual(string[] a, string[] b)
    {
        if (a.Length != b.Length)
            return false;
        for (int i = 0; i < a.Length; i++)
        {
            if (!string.Equals(a[i], b[i], StringComparison.Ordinal))
                return false;
        }
        return true;
    }

    private ProcessInfo Describe(TrackedProcess process, bool executableDeleted, bool kernelThread) => new()
    {
        Pid = process.Pid,
        ParentPid = process.ParentPid,
        Name = process.Comm,
        Executable = process.Executable,
        ExecutableSource = process.Executable is null ? ExecutableSource.None : ExecutableSource.Procfs,
        ExecutableDeleted = executableDeleted,
        Args = process.Args,
        ArgvSource = process.Args is null ? ArgvSource.None : ArgvSource.Procfs,
        StartTimeTicks = process.StartTimeTicks,
        Start = _boot.StartTicksToWallClock(process.StartTimeTicks),
        IsKernelThread = kernelThread,
    };
}
