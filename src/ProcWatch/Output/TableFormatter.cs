using System.Buffers;
using System.Buffers.Text;
using ProcWatch.Events;
using ProcWatch.Text;

namespace ProcWatch.Output;

/// <summary>
/// forkstat -x like columns: time with milliseconds, event, pid, uid, euid, tty, info
/// (parent, exit status or signal, new ids), duration (on exit), process (the shell-quoted
/// command line, else the name; kernel threads in [brackets]; renames as <c>old -> new</c>).
/// All text from the kernel is escaped for the terminal. A thread's event shows the thread's
/// id in the PID column and says "thread" in the info column. <c>compact</c> leaves out the
/// EUID and TTY columns, for a narrow terminal (the fixed columns then take 66 of 80).
/// </summary>
internal sealed class TableFormatter(bool compact = false) : IEventFormatter
{
    private const int InfoWidth = 16;

    /// <summary>Below this many columns a terminal gets the compact table.</summary>
    public const int CompactBelowColumns = 120;

    public void WriteHeader(IBufferWriter<byte> output) => output.Write(compact
        ? "Time         Event         PID      UID Info             Duration Process\n"u8
        : "Time         Event         PID      UID     EUID TTY    Info             Duration Process\n"u8);

    public void Write(ProcessEvent e, IBufferWriter<byte> output)
    {
        WriteTime(output, e.Timestamp);
        Pad(output, e.Kind.Name(), 9);
        // A thread's own id is the interesting one; the info column says it is a thread.
        WriteNumber(output, e.Tid > 0 ? e.Tid : e.Pid, 7);
        output.Write(" "u8);
        if (compact)
            WriteId(output, e.Process?.User);
        else
            WriteIds(output, e.Process);
        WriteInfo(output, e);
        WriteDuration(output, e);
        WriteProcess(output, e);
        output.Write("\n"u8);
    }

    private static void WriteTime(IBufferWriter<byte> output, DateTimeOffset timestamp)
    {
        Span<byte> span = output.GetSpan(16);
        timestamp.ToLocalTime().TryFormat(span, out int n, "HH:mm:ss.fff ", System.Globalization.CultureInfo.InvariantCulture);
        output.Advance(n);
    }

    private static void WriteIds(IBufferWriter<byte> output, ProcessInfo? p)
    {
        WriteId(output, p?.User);
        WriteId(output, p?.EffectiveUser);
        string tty = p is null ? "" : p.Tty ?? "?";
        TerminalText.Append(output, tty);
        for (int i = tty.Length; i < 6; i++) output.Write(" "u8);
        output.Write(" "u8);
    }

    /// <summary>The user name (or the id when it has none), right-aligned in 8 columns.</summary>
    private static void WriteId(IBufferWriter<byte> output, IdName? id)
    {
        if (id is not { } value)
        {
            output.Write("         "u8);
            return;
        }
        if (value.Name is { } name)
        {
            for (int i = name.Length; i < 8; i++) output.Write(" "u8);
            TerminalText.Append(output, name);
            output.Write(" "u8);
            return;
        }
        WriteNumber(output, value.Id, 8);
        output.Write(" "u8);
    }

    /// <summary>Seconds with milliseconds on exit ("   0.003s"), blank otherwise.</summary>
    private static void WriteDuration(IBufferWriter<byte> output, ProcessEvent e)
    {
        Span<byte> span = output.GetSpan(32);
        int n = 0;
        if (e is ExitEvent { Duration: { } duration })
        {
            Span<byte> text = stackalloc byte[24];
            duration.TotalSeconds.TryFormat(text, out int written, "0.000", System.Globalization.CultureInfo.InvariantCulture);
            text[written++] = (byte)'s';
            for (int i = written; i < 8; i++) span[n++] = (byte)' ';
            text[..written].CopyTo(span[n..]);
            n += written;
        }
        else
        {
            "        "u8.CopyTo(span);
            n = 8;
        }
        span[n++] = (byte)' ';
        output.Advance(n);
    }

    private static void WriteInfo(IBufferWriter<byte> output, ProcessEvent e)
    {
        Span<byte> info = stackalloc byte[64];
        int n = e switch
        {
            ForkEvent { IsThread: true } f => Format(info, "thread of "u8, f.Pid),
            ForkEvent { CreatorPid: { } c } f => Format2(info, "parent "u8, f.ParentPid, " by "u8, c),
            ForkEvent f => Format(info, "parent "u8, f.ParentPid),
            ExitEvent { IsThread: true, Status: { Exited: true } s } => Format(info, "thread exit "u8, s.ExitCode!.Value),
            ExitEvent { IsThread: true, Status: { } s } => Copy(info, "thread "u8) is var t ? t + FormatSignal(info[t..], s) : 0,
            ExitEvent { IsThread: true } => Copy(info, "thread ?"u8),
            ExitEvent { Status: null } => Copy(info, "?"u8),
            ExitEvent { Status: { Exited: true } s } => Format(info, "exit "u8, s.ExitCode!.Value),
            ExitEvent { Status: { } s } => FormatSignal(info, s),
            UidEvent u => Format2(info, "uid "u8, u.RealUid, " euid "u8, u.EffectiveUid),
            GidEvent g => Format2(info, "gid "u8, g.RealGid, " egid "u8, g.EffectiveGid),
            PtraceEvent { IsAttach: true } p => Format(info, "tracer "u8, p.TracerPid),
            PtraceEvent => Copy(info, "detach"u8),
            CoredumpEvent c => Format(info, "parent "u8, c.ParentPid),
            LostEvent l => Format(info, "lost "u8, l.Count),
            UnknownEvent u => Format(info, "what "u8, u.What),
            ExecFailedEvent x => System.Text.Encoding.ASCII.GetBytes(x.ErrorName, info), // always ASCII, at most 12 bytes
            _ when e.Tid > 0 && e.Tid != e.Pid => Format(info, "thread of "u8, e.Pid),
            _ => 0,
        };
        output.Write(info[..n]);
        for (int i = n; i < InfoWidth; i++) output.Write(" "u8);
        output.Write(" "u8);
    }

    private static void WriteProcess(IBufferWriter<byte> output, ProcessEvent e)
    {
        ProcessInfo? p = e.Process;
        if (e is CommEvent comm)
        {
            if (comm.OldComm is not null)
            {
                TerminalText.Append(output, comm.OldComm);
                output.Write(" -> "u8);
            }
            TerminalText.Append(output, comm.Comm);
            return;
        }
        if (e is LostEvent lost)
        {
            output.Write(System.Text.Encoding.UTF8.GetBytes(EcsJsonFormatter.LostReasonName(lost.Reason)));
            return;
        }
        if (p?.Args is { Count: > 0 } args)
        {
            TerminalText.Append(output, CommandLine.Join(args));
            if (p.ArgsTruncated)
                WriteTruncatedMarker(output, p);
        }
        else if (p?.Name is { } name)
        {
            if (p.IsKernelThread) output.Write("["u8);
            TerminalText.Append(output, name);
            if (p.IsKernelThread) output.Write("]"u8);
        }
        else if (p?.Executable is { } exe)
        {
            TerminalText.Append(output, exe);
        }
        else if (p is not null)
        {
            output.Write("<unknown>"u8); // the process was gone before /proc could be read
        }
    }

    /// <summary>" [argv truncated: N args]": the shown argv is a prefix (the rest was beyond every capture limit).</summary>
    internal static void WriteTruncatedMarker(IBufferWriter<byte> output, ProcessInfo p)
    {
        output.Write(" [argv truncated"u8);
        if (p.ArgsCount is { } count)
        {
            output.Write(": "u8);
            Span<byte> digits = output.GetSpan(11);
            System.Buffers.Text.Utf8Formatter.TryFormat(count, digits, out int n);
            output.Advance(n);
            output.Write(" args"u8);
        }
        output.Write("]"u8);
    }

    private static int Copy(Span<byte> dest, ReadOnlySpan<byte> text)
    {
        text.CopyTo(dest);
        return text.Length;
    }

    private static int FormatSignal(Span<byte> dest, WaitStatus status)
    {
        int n = System.Text.Encoding.ASCII.GetBytes(Signals.Name(status.Signal!.Value), dest);
        if (status.CoreDumped)
            n += Copy(dest[n..], " (core)"u8);
        return n;
    }

    private static int Format(Span<byte> dest, ReadOnlySpan<byte> label, long value)
    {
        label.CopyTo(dest);
        Utf8Formatter.TryFormat(value, dest[label.Length..], out int n);
        return label.Length + n;
    }

    private static int Format2(Span<byte> dest, ReadOnlySpan<byte> label1, long value1, ReadOnlySpan<byte> label2, long value2)
    {
        int n = Format(dest, label1, value1);
        return n + Format(dest[n..], label2, value2);
    }

    private static void Pad(IBufferWriter<byte> output, string text, int width)
    {
        Span<byte> span = output.GetSpan(width + text.Length + 1);
        int n = System.Text.Encoding.ASCII.GetBytes(text, span);
        while (n < width) span[n++] = (byte)' ';
        span[n++] = (byte)' ';
        output.Advance(n);
    }

    private static void WriteNumber(IBufferWriter<byte> output, long value, int width)
    {
        Span<byte> digits = stackalloc byte[20];
        Utf8Formatter.TryFormat(value, digits, out int n);
        Span<byte> span = output.GetSpan(Math.Max(width, n));
        int pad = Math.Max(0, width - n);
        span[..pad].Fill((byte)' ');
        digits[..n].CopyTo(span[pad..]);
        output.Advance(pad + n);
    }
}
