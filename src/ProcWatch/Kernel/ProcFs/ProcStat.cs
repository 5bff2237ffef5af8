using System.Buffers.Text;
using ProcWatch.Interop;
using ProcWatch.Text;

namespace ProcWatch.Kernel.ProcFs;

/// <summary>The fields of /proc/PID/stat that ProcWatch uses (proc_pid_stat(5)).</summary>
internal readonly record struct ProcStat : IProcFileParser<ProcStat>
{
    /// <summary>PF_KTHREAD in the flags field: a kernel thread.</summary>
    public const uint PF_KTHREAD = 0x00200000;

    public required int Pid { get; init; }

    /// <summary>The task name, decoded losslessly (may hold spaces and parentheses).</summary>
    public required string Comm { get; init; }
    public required char State { get; init; }
    public required int ParentPid { get; init; }
    public required int ProcessGroupId { get; init; }
    public required int SessionId { get; init; }

    /// <summary>The controlling terminal's device number (0: none); see <see cref="TtyNames"/>.</summary>
    public required int TtyNr { get; init; }
    public required uint Flags { get; init; }
    public required int NumThreads { get; init; }

    /// <summary>Clock ticks after boot when the task started (CLOCK_BOOTTIME based): the pid-reuse guard.</summary>
    public required ulong StartTimeTicks { get; init; }

    public bool IsKernelThread => (Flags & PF_KTHREAD) != 0;

    /// <summary>Reads /proc/PID/stat; false when the process is gone (or unreadable).</summary>
    public static bool TryRead(int pid, out ProcStat stat) => ParsedProcFile.TryReadOf(pid, "stat"u8, out stat);

    /// <summary>Reads /proc/PID/task/TID/stat (a thread's own start time and name).</summary>
    public static bool TryReadTask(int pid, int tid, out ProcStat stat)
    {
        Span<byte> path = stackalloc byte[ProcPath.MaxLength];
        ProcPath.FormatTask(path, pid, tid, "stat"u8);
        return ParsedProcFile.TryRead(Libc.AT_FDCWD, path, out stat);
    }

    static int IProcFileParser<ProcStat>.TypicalBytes => 1024;

    /// <summary>
    /// Parses the content of a stat file. The name sits between the first '(' and the LAST ')':
    /// a process can call itself ") R 1 2 3 (" to confuse naive parsers.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> content, out ProcStat stat)
    {
        stat = default;
        int open = content.IndexOf((byte)'(');
        int close = content.LastIndexOf((byte)')');
        if (open <= 0 || close < open || !Utf8Parser.TryParse(content[..(open - 1)], out int pid, out _))
            return false;
        ReadOnlySpan<byte> rest = content[(close + 1)..];
        // Fields after the name, numbered as in proc_pid_stat(5): 3 state, 4 ppid, 5 pgrp,
        // 6 session, 7 tty_nr, 8 tpgid, 9 flags, ..., 20 num_threads, 21 itrealvalue, 22 starttime.
        char state = '?';
        int ppid = 0, pgrp = 0, session = 0, tty = 0, threads = 0;
        uint flags = 0;
        ulong start = 0;
        int field = 2;
        foreach (Range range in rest.Split((byte)' '))
        {
            ReadOnlySpan<byte> token = rest[range];
            if (token.IsEmpty)
                continue;
            field++;
            bool ok = field switch
            {
                3 => SetState(token, out state),
                4 => Utf8Parser.TryParse(token, out ppid, out _),
                5 => Utf8Parser.TryParse(token, out pgrp, out _),
                6 => Utf8Parser.TryParse(token, out session, out _),
                7 => Utf8Parser.TryParse(token, out tty, out _),
                9 => Utf8Parser.TryParse(token, out flags, out _),
                20 => Utf8Parser.TryParse(token, out threads, out _),
                22 => Utf8Parser.TryParse(token, out start, out _),
                _ => true,
            };
            if (!ok)
                return false;
            if (field == 22)
                break;
        }
        if (field < 22)
            return false;
        stat = new ProcStat
        {
            Pid = pid, Comm = ProcText.Decode(content[(open + 1)..close]), State = state,
            ParentPid = ppid, ProcessGroupId = pgrp, SessionId = session, TtyNr = tty,
            Flags = flags, NumThreads = threads, StartTimeTicks = start,
        };
        return true;
    }

    private static bool SetState(ReadOnlySpan<byte> token, out char state)
    {
        state = (char)token[0];
        return true;
    }
}
