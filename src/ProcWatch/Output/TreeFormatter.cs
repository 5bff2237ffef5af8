using System.Buffers;
using System.Buffers.Text;
using ProcWatch.Events;
using ProcWatch.Text;

namespace ProcWatch.Output;

/// <summary>Choices for <see cref="TreeFormatter"/>.</summary>
internal sealed record TreeOptions
{
    /// <summary>Show the executable's full path in place of argv[0].</summary>
    public bool FullPath { get; init; }

    /// <summary>Show only the program, not its arguments.</summary>
    public bool HideArgs { get; init; }

    /// <summary>Show the user (<c>&lt;name&gt;</c>).</summary>
    public bool ShowUser { get; init; } = true;

    /// <summary>Show the working directory before <c>%</c>.</summary>
    public bool ShowWorkingDirectory { get; init; } = true;
}

/// <summary>
/// extrace-like view: a line per exec and per exit of a process whose exec was shown,
/// indented two spaces per level of the process hierarchy (depth counted from the first
/// ancestor seen). <c>PID+ &lt;user&gt; cwd % cmdline</c> on exec;
/// <c>PID- name exited status=N time=1.234s</c> or <c>signal=SIGSEGV (core dumped)</c> on exit.
/// Forks only feed the hierarchy; losses are shown. Everything from the kernel is escaped.
/// </summary>
internal sealed class TreeFormatter : IEventFormatter
{
    /// <summary>The depth map's bound: beyond it, it starts over (indentation restarts; nothing else is lost).</summary>
    private const int MaxTracked = 65536;

    private readonly TreeOptions _options;
    /// <summary>
    /// Display depth per pid. Not read from <c>Tracking.ProcessTable</c>, on purpose: the
    /// formatter runs on the consumer thread and must indent by the hierarchy as of the event
    /// it prints, while the table is owned by the pipeline thread (no locking for readers) and
    /// is already ahead by everything still queued. It keeps only a depth and a flag per pid.
    /// </summary>
    private readonly Dictionary<int, Node> _nodes = [];

    public TreeFormatter(TreeOptions? options = null) => _options = options ?? new TreeOptions();

    private record struct Node(int Depth, bool Shown);

    public void WriteHeader(IBufferWriter<byte> output) { }

    public void Write(ProcessEvent e, IBufferWriter<byte> output)
    {
        switch (e)
        {
            case ForkEvent { IsThread: false } fork:
                Track(fork.Pid, fork.ParentPid, shown: false);
                break;
            case ExecEvent exec:
                WriteExec(exec, output);
                break;
            case ExitEvent { IsThread: false } exit:
                WriteExit(exit, output);
                break;
            case ExecFailedEvent failed:
                WriteExecFailed(failed, output);
                break;
            case LostEvent lost:
                output.Write("!! lost "u8);
                WriteNumber(output, lost.Count);
                output.Write(" events ("u8);
                output.Write(System.Text.Encoding.ASCII.GetBytes(EcsJsonFormatter.LostReasonName(lost.Reason)));
                output.Write(")\n"u8);
                break;
        }
    }

    private int Track(int pid, int? parentPid, bool shown)
    {
        if (_nodes.TryGetValue(pid, out Node node))
        {
            if (shown && !node.Shown)
                _nodes[pid] = node with { Shown = true };
            return node.Depth;
        }
        if (_nodes.Count >= MaxTracked)
            _nodes.Clear();
        int depth = parentPid is { } ppid && _nodes.TryGetValue(ppid, out Node parent) ? parent.Depth + 1 : 0;
        _nodes[pid] = new Node(depth, shown);
        return depth;
    }

    private void WriteExec(ExecEvent e, IBufferWriter<byte> output)
    {
        ProcessInfo? p = e.Process;
        int depth = Track(e.Pid, p?.ParentPid, shown: true);
        Indent(output, depth);
        WriteNumber(output, e.Pid);
        output.Write("+ "u8);
        if (_options.ShowUser && (p?.EffectiveUser ?? p?.User) is { } user)
        {
            output.Write("<"u8);
            if (user.Name is { } name) TerminalText.Append(output, name);
            else WriteNumber(output, user.Id);
            output.Write("> "u8);
        }
        if (_options.ShowWorkingDirectory)
        {
            // A cwd that could not be read (the process was gone, or /proc denied it) is said, not dropped.
            if (p?.WorkingDirectory is { } cwd)
                TerminalText.Append(output, cwd);
            else
                output.Write("<unknown cwd>"u8);
            output.Write(" % "u8);
        }
        WriteCommand(output, p);
        output.Write("\n"u8);
    }

    /// <summary>"PID! ENOENT command" at the caller's depth: the caller goes on, nothing new joins the tree.</summary>
    private void WriteExecFailed(ExecFailedEvent e, IBufferWriter<byte> output)
    {
        Indent(output, _nodes.TryGetValue(e.Pid, out Node node) ? node.Depth : 0);
        WriteNumber(output, e.Pid);
        output.Write("! "u8);
        output.Write(System.Text.Encoding.ASCII.GetBytes(e.ErrorName));
        output.Write(" "u8);
        WriteCommand(output, e.Process);
        output.Write("\n"u8);
    }

    private readonly System.Text.StringBuilder _line = new(256);

    private void WriteCommand(IBufferWriter<byte> output, ProcessInfo? p)
    {
        IReadOnlyList<string>? args = p?.Args;
        string? program = _options.FullPath ? p?.Executable ?? FirstArg(args) ?? p?.Name : FirstArg(args) ?? p?.Name ?? p?.Executable;
        if (program is null)
        {
            output.Write("<unknown>"u8);
            return;
        }
        System.Text.StringBuilder sb = _line.Clear(); // reused: no builder per exec
        CommandLine.AppendQuoted(sb, program);
        // The mark belongs to the path (as /proc/PID/exe shows it), not after the arguments.
        if (p is { ExecutableDeleted: true } && _options.FullPath && ReferenceEquals(program, p.Executable))
            sb.Append(" (deleted)");
        if (!_options.HideArgs && args is not null)
        {
            for (int i = 1; i < args.Count; i++)
            {
                sb.Append(' ');
                CommandLine.AppendQuoted(sb, args[i]);
            }
        }
        TerminalText.Append(output, sb.ToString());
        if (p is { ArgsTruncated: true } && !_options.HideArgs)
            TableFormatter.WriteTruncatedMarker(output, p);
    }

    private static string? FirstArg(IReadOnlyList<string>? args) => args is { Count: > 0 } ? args[0] : null;

    private void WriteExit(ExitEvent e, IBufferWriter<byte> output)
    {
        if (!_nodes.Remove(e.Pid, out Node node) || !node.Shown)
            return;
        Indent(output, node.Depth);
        WriteNumber(output, e.Pid);
        output.Write("- "u8);
        TerminalText.Append(output, e.Process?.Name ?? "?");
        output.Write(" exited"u8);
        if (e.Status is { } status)
        {
            if (status.Signal is { } signal)
            {
                output.Write(" signal="u8);
                output.Write(System.Text.Encoding.ASCII.GetBytes(Signals.Name(signal)));
                if (status.CoreDumped) output.Write(" (core dumped)"u8);
            }
            else
            {
                output.Write(" status="u8);
                WriteNumber(output, status.ExitCode ?? 0);
            }
        }
        if (e.Duration is { } duration)
        {
            output.Write(" time="u8);
            Span<byte> span = output.GetSpan(24);
            duration.TotalSeconds.TryFormat(span, out int n, "0.000", System.Globalization.CultureInfo.InvariantCulture);
            output.Advance(n);
            output.Write("s"u8);
        }
        output.Write("\n"u8);
    }

    private static void Indent(IBufferWriter<byte> output, int depth)
    {
        int width = Math.Min(depth, 100) * 2;
        Span<byte> span = output.GetSpan(width);
        span[..width].Fill((byte)' ');
        output.Advance(width);
    }

    private static void WriteNumber(IBufferWriter<byte> output, long value)
    {
        Span<byte> span = output.GetSpan(20);
        Utf8Formatter.TryFormat(value, span, out int n);
        output.Advance(n);
    }
}
