using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using ProcWatch.Events;
using ProcWatch.Output;

namespace ProcWatch.Daemon.Outputs.ClickHouse;

/// <summary>
/// One JSONEachRow line per event or alert, keyed by the column names of
/// <see cref="ClickHouseSchema"/>. Unknown values are left out (the column default),
/// never written as null. Each row gets an <c>event.id</c> unique to this writer: a random
/// 64-bit prefix drawn once plus a sequence number, fixed the moment the row is formatted,
/// so every resend of a spooled batch carries the same ids and deduplicates.
/// </summary>
internal sealed class ClickHouseRowWriter
{
    private readonly string _hostname;
    private readonly byte[] _idPrefix = new byte[17];
    private long _sequence;

    public ClickHouseRowWriter(string? hostname = null)
    {
        _hostname = hostname ?? Environment.MachineName;
        Span<byte> nonce = stackalloc byte[8];
        RandomNumberGenerator.Fill(nonce);
        for (int i = 0; i < 8; i++)
        {
            _idPrefix[2 * i] = "0123456789abcdef"u8[nonce[i] >> 4];
            _idPrefix[2 * i + 1] = "0123456789abcdef"u8[nonce[i] & 15];
        }
        _idPrefix[16] = (byte)'-';
    }

    public void Write(ProcessEvent e, AlertInfo? alert, IBufferWriter<byte> output)
    {
        var w = new JsonLineWriter(output);
        w.StartObject();
        DateTime utc = e.Timestamp.UtcDateTime;
        Span<byte> scratch = stackalloc byte[40];
        FormatDateTime(utc, scratch);
        w.Ascii("@timestamp"u8, scratch[..19]);
        w.Number("event.time_us"u8, (utc.Ticks - DateTime.UnixEpoch.Ticks) / 10);
        _idPrefix.CopyTo(scratch);
        Utf8Formatter.TryFormat(++_sequence, scratch[17..], out int n);
        w.Ascii("event.id"u8, scratch[..(17 + n)]);
        w.Ascii("event.kind"u8, alert is null ? "event"u8 : "alert"u8);
        w.String("event.action"u8, e.Kind.Name());
        w.Ascii("event.type"u8, e.Kind switch
        {
            ProcessEventKind.Fork or ProcessEventKind.Clone or ProcessEventKind.Exec or ProcessEventKind.ExecFailed => "start"u8,
            ProcessEventKind.Exit => "end"u8,
            ProcessEventKind.Uid or ProcessEventKind.Gid or ProcessEventKind.Sid or ProcessEventKind.Comm => "change"u8,
            ProcessEventKind.Ptrace => "access"u8,
            ProcessEventKind.Denied => ((DeniedEvent)e).Audit ? "allowed"u8 : "denied"u8, // one column: the ECS line's second type
            _ => "info"u8,
        });
        if (e is ExitEvent { Status: { } status })
        {
            w.Ascii("event.outcome"u8, status.Exited && status.ExitCode == 0 ? "success"u8 : "failure"u8);
            w.Number("process.exit_code"u8, status.ShellCode);
        }
        else if (e is DeniedEvent denied && alert is null)
        {
            w.Ascii("event.outcome"u8, denied.Audit ? "success"u8 : "failure"u8);
            w.String("rule.id"u8, denied.RuleName);
            w.String("rule.name"u8, denied.RuleName);
        }
        else if (e is ExecFailedEvent)
        {
            w.Ascii("event.outcome"u8, "failure"u8);
        }
        if (alert is not null)
        {
            w.Number("event.severity"u8, alert.SeverityScore);
            w.String("rule.id"u8, alert.RuleId ?? alert.RuleName); // Sigma: the rule's UUID, as the JSON stream writes it
            w.String("rule.name"u8, alert.RuleName);
            w.String("rule.severity"u8, alert.Severity);
        }
        w.String("host.hostname"u8, _hostname);
        WriteProcess(ref w, e);
        w.Ascii("procwatch.source"u8, e.Origin switch
        {
            EventOrigin.Connector => "connector"u8,
            EventOrigin.Ebpf => "ebpf"u8,
            EventOrigin.Procfs => "procfs"u8,
            _ => "procwatch"u8,
        });
        w.Number("procwatch.kernel_time_ns"u8, e.KernelTimeNs);
        if (e is LostEvent lost)
        {
            w.String("procwatch.lost_reason"u8, EcsJsonFormatter.LostReasonName(lost.Reason));
            w.Number("procwatch.lost_count"u8, lost.Count);
        }
        ClickHouseWhatRanColumns.Write(ref w, e);
        if (e is ExecFailedEvent failed) ClickHouseExecFailureColumns.Write(ref w, failed);
        if (e.FloodCutBytes > 0) w.Number("procwatch.flood_cut_bytes"u8, e.FloodCutBytes);
        w.EndObject();
        w.EndLine();
    }

    private static void WriteProcess(ref JsonLineWriter w, ProcessEvent e)
    {
        if (e is LostEvent)
            return;
        w.Number("process.pid"u8, e.Pid);
        w.Number("process.thread.id"u8, e.Tid);
        ProcessInfo? p = e.Process;
        string? name = e is CommEvent comm ? comm.Comm : p?.Name;
        if (name is not null) w.String("process.name"u8, name);
        if (p is not null)
        {
            if (p.Executable is not null) w.String("process.executable"u8, p.Executable);
            // An exit does not repeat the argv: its exec row has it, process.entity_id joins them
            // (a flood of long-argv processes would otherwise be written twice).
            if (p.Args is { } args && e.Kind != ProcessEventKind.Exit)
            {
                w.StringArray("process.args"u8, args);
                w.Number("process.args_count"u8, args.Count);
                w.CommandLine("process.command_line"u8, args);
            }
            if (p.WorkingDirectory is not null) w.String("process.working_directory"u8, p.WorkingDirectory);
            if (p.EntityId is not null) w.String("process.entity_id"u8, p.EntityId);
            if (p.Tty is not null) w.String("process.tty.name"u8, p.Tty);
            if ((p.EffectiveUser ?? p.User) is { } user)
            {
                Span<byte> digits = stackalloc byte[10];
                Utf8Formatter.TryFormat(user.Id, digits, out int n);
                w.Ascii("user.id"u8, digits[..n]);
                if (user.Name is not null) w.String("user.name"u8, user.Name);
            }
            if (p.ContainerId is not null) w.String("container.id"u8, p.ContainerId);
            if (p.Container is { } c)
            {
                if (c.Name is not null) w.String("container.name"u8, c.Name);
                if (c.ImageName is not null) w.String("container.image.name"u8, c.ImageName);
                if (c.ImageTag is not null) w.String("container.image.tag"u8, c.ImageTag);
                if (c.Runtime is not null) w.String("container.runtime"u8, c.Runtime);
                if (c.PodNamespace is not null) w.String("orchestrator.namespace"u8, c.PodNamespace);
                if (c.PodName is not null) w.String("orchestrator.resource.name"u8, c.PodName);
            }
            if (p.ContainerEntry) w.Number("procwatch.container_entry"u8, 1);
            if (p.Sha256 is not null) w.String("process.hash.sha256"u8, p.Sha256);
            if (e.Kind == ProcessEventKind.Exec)
                WriteExecFacts(ref w, p);
        }
        int? parentPid = EcsJsonFormatter.ParentPidOf(e, p);
        ParentInfo? parent = p?.Parent;
        if ((parent?.Pid ?? parentPid) is { } ppid) w.Number("process.parent.pid"u8, ppid);
        if (parent is null)
            return;
        if (parent.Name is not null) w.String("process.parent.name"u8, parent.Name);
        if (parent.Executable is not null) w.String("process.parent.executable"u8, parent.Executable);
        if (parent.Args is { } parentArgs && e.Kind != ProcessEventKind.Exit)
        {
            w.StringArray("process.parent.args"u8, parentArgs);
        }
        if (parent.EntityId is not null) w.String("process.parent.entity_id"u8, parent.EntityId);
    }

    /// <summary>Said at the exec only, as the JSON stream does: why no hash, the parent chain at exec (three parallel arrays).</summary>
    private static void WriteExecFacts(ref JsonLineWriter w, ProcessInfo p)
    {
        if (p.HashStatus is not null) w.String("procwatch.hash_status"u8, p.HashStatus);
        if (p.Ancestors is not { Count: > 0 } ancestors)
            return;
        w.StartArray("procwatch.ancestors.pid"u8);
        for (int i = 0; i < ancestors.Count; i++) w.NumberItem(ancestors[i].Pid);
        w.EndArray();
        w.StartArray("procwatch.ancestors.entity_id"u8);
        for (int i = 0; i < ancestors.Count; i++) w.StringItem(ancestors[i].EntityId ?? "");
        w.EndArray();
        w.StartArray("procwatch.ancestors.executable"u8);
        for (int i = 0; i < ancestors.Count; i++) w.StringItem(ancestors[i].Executable ?? "");
        w.EndArray();
    }

    /// <summary>yyyy-MM-dd HH:mm:ss, which every ClickHouse version parses into DateTime.</summary>
    private static void FormatDateTime(DateTime t, Span<byte> s) => JsonLineWriter.WriteDateTime(t, (byte)' ', s);
}
