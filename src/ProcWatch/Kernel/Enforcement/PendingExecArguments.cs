using System.Buffers.Text;
using System.Globalization;
using System.Runtime.InteropServices;
using ProcWatch.Interop;
using ProcWatch.Kernel.ProcFs;
using ProcWatch.Text;

namespace ProcWatch.Kernel.Enforcement;

/// <summary>
/// The path and argv an exec was called with, read while it waits for the fanotify answer
/// (on the gate's thread, which must never block):
/// /proc/TID/syscall names the system call and its arguments (readable only while the thread
/// is blocked, which it is), and process_vm_readv copies the strings from the caller's memory
/// (the new program's image does not exist yet). Only for denials and audits, never on the
/// allowed path. Neither read takes a lock the exec holds at that point: both take
/// <c>exec_update_lock</c> for reading, which the exec takes for writing only later, in
/// <c>begin_new_exec</c>, after the file was opened. But reading another process's memory
/// can block without bound when a page of it must come from a FUSE daemon that never answers
/// (any user can map such a file and point argv into it) or a network server: each page is
/// read only when /proc/TID/maps says it is anonymous or a file on a local filesystem
/// (<see cref="CallerMemory"/>); otherwise argv is reported unknown. Bounded like the kernel's denial record:
/// <see cref="ArgsMax"/> strings, <see cref="ArgBytes"/> bytes each, <see cref="TotalBytes"/> in all.
/// </summary>
internal static class PendingExecArguments
{
    internal const int ArgsMax = 64;
    internal const int ArgBytes = 1024;
    internal const int TotalBytes = 4096;
    // How long the caller may take to fall asleep after queueing its question. A count of
    // spins was not enough on a loaded 2-CPU host (1 of 1000 denials without argv in CI): the
    // caller needs the CPU the gate spins on. Yields first, then 1 ms sleeps, bounded in time;
    // only denials and audits wait here, never an allowed exec.
    private const long RunningWaitMs = 50;

    // Before Linux 5.7 /proc/TID/syscall, /proc/TID/maps and process_vm_readv took the target's
    // cred_guard_mutex, which an exec holds from prepare_bprm_creds, before it opens the file:
    // the gate would wait for the caller that waits for the gate, and every exec on the host
    // with them. exec_update_lock (a rwsem since 5.11; 5.7's exec_update_mutex is taken by the
    // exec only in begin_new_exec too) replaced it there. Older kernels: argv unknown.
    private static readonly bool s_readingTheCallerCannotDeadlock = Environment.OSVersion.Version >= new Version(5, 11);

    // (execve, execveat) on the architectures ProcWatch builds for; a 32-bit caller's numbers differ: argv unknown.
    private static readonly (long Execve, long ExecveAt) s_numbers = RuntimeInformation.OSArchitecture switch
    {
        Architecture.X64 => (59, 322),
        Architecture.Arm64 => (221, 281),
        _ => (-1, -1),
    };

    /// <summary>
    /// The filename and argv of <paramref name="tid"/>'s pending execve/execveat; false when
    /// unknown (another system call, such as the ELF interpreter's open is not; a 32-bit caller;
    /// the thread gone).
    /// </summary>
    /// <param name="memory">Where reading the caller's memory cannot block (anonymous, local files), from its maps.</param>
    internal static bool TryRead(int tid, CallerMemory memory, out string? filename, out List<string>? argv, out bool truncated)
    {
        filename = null;
        argv = null;
        truncated = false;
        if (!s_readingTheCallerCannotDeadlock)
            return false;
        Span<byte> path = stackalloc byte[ProcPath.MaxLength];
        ProcPath.Format(path, tid, "syscall"u8);
        Span<ulong> args = stackalloc ulong[4];
        long nr = -1;
        // The kernel queues the event, wakes the gate, then puts the caller to sleep: read a
        // moment too early, /proc/TID/syscall says "running". It sleeps within microseconds.
        var spin = new SpinWait();
        long deadline = Environment.TickCount64 + RunningWaitMs;
        Span<byte> initial = stackalloc byte[256];
        while (true)
        {
            if (!ProcFile.TryRead(Libc.AT_FDCWD, path, initial, out ProcFile file, out _))
                return false;
            using (file)
            {
                if (TryParseSyscall(file.Content, out nr, args))
                    break;
                if (!file.Content.StartsWith("running"u8))
                    return false;
            }
            if (Environment.TickCount64 > deadline)
                return false;
            spin.SpinOnce(); // yields, then sleeps 1 ms now and then: the caller gets the CPU to fall asleep
        }
        if (nr < 0)
            return false;
        (ulong namePointer, ulong argvPointer) = nr == s_numbers.Execve ? (args[0], args[1])
            : nr == s_numbers.ExecveAt ? (args[1], args[2])
            : (0UL, 0UL);
        if (argvPointer == 0 || !memory.Load(tid))
            return false;
        filename = ReadString(tid, memory, namePointer, 4096, out _);
        argv = ReadArgv(tid, memory, argvPointer, out truncated);
        return argv is not null;
    }

    /// <summary>"NR ARG0 ARG1 ... SP PC" (hex arguments); "running" or "-1 ..." when not in a system call.</summary>
    internal static bool TryParseSyscall(ReadOnlySpan<byte> content, out long nr, Span<ulong> args)
    {
        nr = -1;
        int index = -1;
        foreach (Range range in content.TrimEnd((byte)'\n').Split((byte)' '))
        {
            ReadOnlySpan<byte> token = content[range];
            if (index < 0)
            {
                if (!Utf8Parser.TryParse(token, out nr, out int used) || used != token.Length || nr < 0)
                    return false;
            }
            else
            {
                if (!token.StartsWith("0x"u8) || !ulong.TryParse(token[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong value))
                    return false;
                args[index] = value;
            }
            if (++index == args.Length)
                return true;
        }
        return false;
    }

    private static unsafe List<string>? ReadArgv(int tid, CallerMemory memory, ulong argvPointer, out bool truncated)
    {
        truncated = false;
        ulong* pointers = stackalloc ulong[ArgsMax];
        int count = ReadPages(tid, memory, argvPointer, (byte*)pointers, ArgsMax * sizeof(ulong)) / sizeof(ulong);
        if (count == 0)
            return null;
        var argv = new List<string>();
        int total = 0;
        for (int i = 0; i < count; i++)
        {
            if (pointers[i] == 0)
                return argv;
            if (total >= TotalBytes)
            {
                truncated = true;
                return argv;
            }
            string? arg = ReadString(tid, memory, pointers[i], Math.Min(ArgBytes, TotalBytes - total), out bool cut);
            if (arg is null)
            {
                truncated = true;
                return argv;
            }
            truncated |= cut;
            total += arg.Length + 1;
            argv.Add(arg);
        }
        truncated = true; // more than ArgsMax strings
        return argv;
    }

    /// <summary>A NUL-terminated string of at most <paramref name="max"/> bytes; null when unreadable.</summary>
    private static unsafe string? ReadString(int tid, CallerMemory memory, ulong pointer, int max, out bool truncated)
    {
        truncated = false;
        if (pointer == 0)
            return null;
        byte* buffer = stackalloc byte[max];
        // A string may end near the end of a mapping: read up to the page boundary first.
        int got = 0;
        while (got < max)
        {
            ulong at = pointer + (ulong)got;
            int chunk = (int)Math.Min((ulong)(max - got), 4096 - (at & 4095));
            if (!memory.IsSafe(at))
                break;
            int n = (int)Read(tid, at, buffer + got, chunk);
            if (n <= 0)
                break;
            var span = new ReadOnlySpan<byte>(buffer + got, n);
            int nul = span.IndexOf((byte)0);
            if (nul >= 0)
                return ProcText.Decode(new ReadOnlySpan<byte>(buffer, got + nul));
            got += n;
            if (n < chunk)
                break;
        }
        if (got == 0)
            return null;
        truncated = true;
        return ProcText.Decode(new ReadOnlySpan<byte>(buffer, got));
    }

    /// <summary>Up to <paramref name="length"/> bytes, a page at a time: the read stops where the caller's mapping ends.</summary>
    private static unsafe int ReadPages(int tid, CallerMemory memory, ulong remote, byte* local, int length)
    {
        int got = 0;
        while (got < length)
        {
            ulong at = remote + (ulong)got;
            int chunk = (int)Math.Min((ulong)(length - got), 4096 - (at & 4095));
            if (!memory.IsSafe(at))
                break;
            int n = (int)Read(tid, at, local + got, chunk);
            if (n <= 0)
                break;
            got += n;
            if (n < chunk)
                break;
        }
        return got;
    }

    private static unsafe nint Read(int tid, ulong remote, byte* local, int length)
    {
        var l = new Libc.iovec { iov_base = local, iov_len = (nuint)length };
        var r = new Libc.iovec { iov_base = (void*)remote, iov_len = (nuint)length };
        nint n = Libc.ProcessVmReadv(tid, &l, 1, &r, 1, 0);
        return n < 0 ? 0 : n;
    }
}
