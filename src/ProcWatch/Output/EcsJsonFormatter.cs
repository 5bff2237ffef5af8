using System.Buffers;
using ProcWatch.Events;

namespace ProcWatch.Output;

/// <summary>
/// One Elastic Common Schema (ECS) JSON object per line, ready for Filebeat, Vector, Fluent
/// Bit and SIEMs. Unknown values are omitted rather than guessed. ProcWatch's own facts
/// go under <c>procwatch.*</c>.
/// </summary>
internal sealed partial class EcsJsonFormatter : IEventFormatter
{
    private readonly string _hostname;

    public EcsJsonFormatter(string? hostname = null) => _hostname = hostname ?? Environment.MachineName;

    public void WriteHeader(IBufferWriter<byte> output) { }

    public void Write(ProcessEvent e, IBufferWriter<byte> output) => Write(e, null, output);

    /// <summary>The event as an alert: <c>event.kind: alert</c>, <c>event.severity</c>, <c>rule.{name,severity}</c>.</summary>
    public void WriteAlert(ProcessEvent e, AlertInfo alert, IBufferWriter<byte> output) => Write(e, alert, output);

    private void Write(ProcessEvent e, AlertInfo? alert, IBufferWriter<byte> output)
    {
        var w = new JsonLineWriter(output);
        w.StartObject();
        w.Timestamp("@timestamp"u8, e.Timestamp);
        WriteEventObject(ref w, e, alert);
        if (alert is not null)
        {
            WriteRule(ref w, alert);
        }
        else if (e is DeniedEvent denied)
        {
            WriteDenialRule(ref w, denied);
        }
        WriteProcess(ref w, e);
        if (e is ExecFailedEvent failed) WriteExecFailureError(ref w, failed);
        if (e is HashEvent hash) EcsWhatRanFields.WriteFileObject(ref w, hash);
        if (e.Process?.ContainerId is { } container)
            WriteContainer(ref w, container, e.Process.Container);
        w.StartObject("host"u8);
        w.String("hostname"u8, _hostname);
        w.EndObject();
        WriteProcWatch(ref w, e, alert);
        w.EndObject();
        w.EndLine();
    }

    private static void WriteRule(ref JsonLineWriter w, AlertInfo alert)
    {
        w.StartObject("rule"u8);
        if (alert.RuleId is not null) w.String("id"u8, alert.RuleId);
        w.String("name"u8, alert.RuleName);
        if (alert.Ruleset is not null) w.String("ruleset"u8, alert.Ruleset);
        if (alert.Description is not null) w.String("description"u8, alert.Description);
        if (alert.References.Count > 0)
        {
            w.StartArray("reference"u8);
            foreach (string reference in alert.References)
                w.StringItem(reference);
            w.EndArray();
        }
        w.String("severity"u8, alert.Severity);
        w.EndObject();
        if (alert.Techniques.Count > 0)
        {
            w.StartObject("threat"u8);
            w.Ascii("framework"u8, "MITRE ATT&CK"u8);
            w.StartObject("technique"u8);
            w.StartArray("id"u8);
            foreach (string technique in alert.Techniques)
                w.StringItem(technique);
            w.EndArray();
            w.EndObject();
            w.EndObject();
        }
    }

    private static void WriteEventObject(ref JsonLineWriter w, ProcessEvent e, AlertInfo? alert)
    {
        w.StartObject("event"u8);
        w.Ascii("kind"u8, alert is null ? "event"u8 : "alert"u8);
        if (alert is not null) w.Number("severity"u8, alert.SeverityScore);
        w.StartArray("category"u8);
        w.AsciiItem("process"u8);
        w.EndArray();
        w.StartArray("type"u8);
        w.AsciiItem(e.Kind switch
        {
            ProcessEventKind.Fork or ProcessEventKind.Clone or ProcessEventKind.Exec => "start"u8,
            ProcessEventKind.Exit => "end"u8,
            ProcessEventKind.Uid or ProcessEventKind.Gid or ProcessEventKind.Sid or ProcessEventKind.Comm => "change"u8,
            ProcessEventKind.Ptrace => "access"u8,
            ProcessEventKind.Denied or ProcessEventKind.ExecFailed => "start"u8,
            _ => "info"u8,
        });
        if (e is DeniedEvent d)
            w.AsciiItem(d.Audit ? "allowed"u8 : "denied"u8);
        w.EndArray();
        w.String("action"u8, e.Kind.Name());
        if (e is ExitEvent { Status: { } status })
            w.Ascii("outcome"u8, status.Exited && status.ExitCode == 0 ? "success"u8 : "failure"u8);
        else if (e is DeniedEvent denied)
            w.Ascii("outcome"u8, denied.Audit ? "success"u8 : "failure"u8);
        else if (e is ExecFailedEvent)
            w.Ascii("outcome"u8, "failure"u8);
        w.EndObject();
    }

    private static void WriteProcess(ref JsonLineWriter w, ProcessEvent e)
    {
        if (e is LostEvent)
            return;
        ProcessInfo? p = e.Process;
        w.StartObject("process"u8);
        w.Number("pid"u8, e.Pid);
        w.StartObject("thread"u8);
        w.Number("id"u8, e.Tid);
        w.EndObject();

        string? name = e is CommEvent comm ? comm.Comm : p?.Name;
        if (name is not null) w.String("name"u8, name);
        if (p is not null) WriteProcessInfo(ref w, p, e.Kind);

        switch (e)
        {
            case ExitEvent exit:
                w.Timestamp("end"u8, e.Timestamp);
                if (exit.Status is { } status)
                    w.Number("exit_code"u8, status.ShellCode);
                break;
            case UidEvent uid when p?.User is null: // enriched: already written from ProcessInfo, with names
                WriteId(ref w, "user"u8, uid.EffectiveUid, null);
                WriteId(ref w, "real_user"u8, uid.RealUid, null);
                break;
            case GidEvent gid when p?.Group is null:
                WriteId(ref w, "group"u8, gid.EffectiveGid, null);
                WriteId(ref w, "real_group"u8, gid.RealGid, null);
                break;
        }

        WriteParent(ref w, e, p);
        w.EndObject();
    }

    private static void WriteProcessInfo(ref JsonLineWriter w, ProcessInfo p, ProcessEventKind kind)
    {
        // A denied or failed exec's argv is new too: the program never ran, no exec line wrote it.
        bool isExec = kind is ProcessEventKind.Exec or ProcessEventKind.Denied or ProcessEventKind.ExecFailed;
        if (p.Executable is not null) w.String("executable"u8, p.Executable);
        EcsExecutableFields.WriteHash(ref w, p);
        if (p.Args is { } exitArgs && kind == ProcessEventKind.Exit)
        {
            // An exit does not repeat the argv (its exec has it; process.entity_id joins them):
            // a flood of long-argv processes would write every argument twice.
            w.Number("args_count"u8, p.ArgsCount ?? exitArgs.Count);
        }
        else if (p.Args is { } args)
        {
            // An exec's argv is new; a fork's or exit's is the one its exec (or parent) already wrote.
            if (isExec) w.StringArray("args"u8, args);
            else w.RepeatedStringArray("args"u8, args);
            w.Number("args_count"u8, p.ArgsCount ?? args.Count); // the true count, also when args is cut
            if (isExec) w.CommandLine("command_line"u8, args);
            else w.RepeatedCommandLine("command_line"u8, args);
        }
        if (p.WorkingDirectory is not null) w.String("working_directory"u8, p.WorkingDirectory);
        if (p.Start is { } start) w.Timestamp("start"u8, start);
        // ECS: process.user is the effective user, process.real_user the real one.
        if ((p.EffectiveUser ?? p.User) is { } user) WriteId(ref w, "user"u8, user.Id, user.Name);
        if (p.User is { } realUser) WriteId(ref w, "real_user"u8, realUser.Id, realUser.Name);
        if ((p.EffectiveGroup ?? p.Group) is { } group) WriteId(ref w, "group"u8, group.Id, group.Name);
        if (p.Group is { } realGroup) WriteId(ref w, "real_group"u8, realGroup.Id, realGroup.Name);
        if (p.SessionId is { } sid)
        {
            w.StartObject("session_leader"u8);
            w.Number("pid"u8, sid);
            w.EndObject();
        }
        if (p.ProcessGroupId is { } pgid)
        {
            w.StartObject("group_leader"u8);
            w.Number("pid"u8, pgid);
            w.EndObject();
        }
        if (p.Tty is not null)
        {
            w.StartObject("tty"u8);
            w.String("name"u8, p.Tty);
            w.EndObject();
        }
        if (p.EntityId is not null) w.String("entity_id"u8, p.EntityId);
        if (p.Environment is { } environment)
        {
            w.StringArray("env_vars"u8, environment);
        }
    }

    /// <summary>The parent pid an event reports: the one the kernel event names (fork, exit, coredump), else the process's.</summary>
    internal static int? ParentPidOf(ProcessEvent e, ProcessInfo? p) => e switch
    {
        ForkEvent f => f.ParentPid,
        ExitEvent x when x.ParentPid != 0 => x.ParentPid,
        CoredumpEvent c => c.ParentPid,
        _ => p?.ParentPid,
    };

    private static void WriteParent(ref JsonLineWriter w, ProcessEvent e, ProcessInfo? p)
    {
        int? parentPid = ParentPidOf(e, p);
        ParentInfo? parent = p?.Parent;
        if (parentPid is null && parent is null)
            return;
        w.StartObject("parent"u8);
        w.Number("pid"u8, parent?.Pid ?? parentPid!.Value);
        if (e is ForkEvent fork)
        {
            w.StartObject("thread"u8);
            w.Number("id"u8, fork.ParentTid);
            w.EndObject();
        }
        if (parent is not null)
        {
            // The same summary on every event of its children: its JSON is kept and copied.
            bool withArgs = e.Kind != ProcessEventKind.Exit;
            RepeatedJson cache = withArgs ? RepeatedJson.ParentFields : RepeatedJson.ParentFieldsNoArgs;
            if (!w.TryRepeat(cache, parent))
            {
                RepeatCapture capture = RepeatedJson.Cacheable(parent) ? w.BeginRepeat(ParentBound(parent, withArgs)) : RepeatCapture.None;
                WriteParentFields(ref w, parent, withArgs);
                w.EndRepeat(cache, parent, capture);
            }
        }
        w.EndObject();
    }

    /// <summary>After the pid (so each field comes with its comma, cached or not).</summary>
    private static void WriteParentFields(ref JsonLineWriter w, ParentInfo parent, bool withArgs)
    {
        if (parent.Name is not null) w.String("name"u8, parent.Name);
        if (parent.Executable is not null) w.String("executable"u8, parent.Executable);
        if (parent.Args is { } args && withArgs)
            w.RepeatedStringArray("args"u8, args);
        if (parent.EntityId is not null) w.String("entity_id"u8, parent.EntityId);
    }

    /// <summary>The most bytes a parent's (or an ancestor's) JSON can take: 6 a char (\uXXXX), the names and punctuation; past <see cref="RepeatedJson.MaxBytes"/> it is not cached.</summary>
    internal static int ParentBound(ParentInfo parent, bool withArgs)
    {
        long bound = 128 + 6L * ((parent.Name?.Length ?? 0) + (parent.Executable?.Length ?? 0) + (parent.EntityId?.Length ?? 0));
        if (withArgs && parent.Args is { } args)
            bound += JsonLineWriter.ArgsBound(args);
        return (int)Math.Min(bound, int.MaxValue);
    }

    /// <summary>An id object <c>{"id":"N","name":…}</c>: ECS keeps ids as keywords (strings).</summary>
    internal static void WriteId(ref JsonLineWriter w, ReadOnlySpan<byte> name, uint id, string? idName)
    {
        w.StartObject(name);
        Span<byte> digits = stackalloc byte[10];
        System.Buffers.Text.Utf8Formatter.TryFormat(id, digits, out int n);
        w.Ascii("id"u8, digits[..n]); // ECS keeps ids as keywords (strings)
        if (idName is not null) w.String("name"u8, idName);
        w.EndObject();
    }

    private static void WriteProcWatch(ref JsonLineWriter w, ProcessEvent e, AlertInfo? alert)
    {
        w.StartObject("procwatch"u8);
        if (alert?.ActionResult is { } result)
        {
            w.StartObject("action"u8);
            w.String("result"u8, result);
            w.EndObject();
        }
        w.String("source"u8, e.Origin switch
        {
            EventOrigin.Connector => "connector",
            EventOrigin.Ebpf => "ebpf",
            EventOrigin.Procfs => "procfs",
            _ => "procwatch",
        });
        w.Number("kernel_time_ns"u8, e.KernelTimeNs);
        if (e.FloodCutBytes > 0) w.Number("flood_cut_bytes"u8, e.FloodCutBytes);
        if (e.Cpu >= 0) w.Number("cpu"u8, e.Cpu);
        if (e.Process is { } p)
        {
            if (e.Kind == ProcessEventKind.Exec || (p.Args is not null && e.Kind != ProcessEventKind.Exit))
                w.String("argv_source"u8, p.ArgvSource switch { ArgvSource.Ebpf => "ebpf", ArgvSource.Procfs => "procfs", _ => "none" });
            if (p.ArgsTruncated) w.Boolean("args_truncated"u8, true);
            if (p.ExecutableDeleted) w.Boolean("executable_deleted"u8, true);
            if (p.ExecutableMemfd) w.Boolean("executable_memfd"u8, true);
            EcsExecutableFields.WriteProcWatch(ref w, p, e.Kind == ProcessEventKind.Exec);
            if (e.Kind == ProcessEventKind.Exec) EcsWhatRanFields.Write(ref w, p);
            if (p.IsKernelThread) w.Boolean("kernel_thread"u8, true);
            if (p.LoginUid is { } auid) w.Number("login_uid"u8, auid);
            if (p.CgroupPath is not null) w.String("cgroup"u8, p.CgroupPath);
            if (p.ContainerEntry) w.Boolean("container_entry"u8, true);
        }
        switch (e)
        {
            case ExitEvent exit:
                if (exit.Status is { } status)
                {
                    w.Number("wait_status"u8, status.Raw);
                    if (status.Signal is { } sig)
                    {
                        w.Number("signal"u8, sig);
                        w.String("signal_name"u8, Signals.Name(sig));
                        w.Boolean("core_dumped"u8, status.CoreDumped);
                    }
                }
                else
                {
                    w.Null("wait_status"u8);
                }
                if (exit.ExitSignal is { } exitSignal) w.Number("exit_signal"u8, exitSignal);
                if (exit.Duration is { } duration) w.Number("duration_ns"u8, duration.Ticks * 100);
                if (exit.UserCpu is { } user) w.Number("cpu_user_ns"u8, user.Ticks * 100);
                if (exit.SystemCpu is { } system) w.Number("cpu_system_ns"u8, system.Ticks * 100);
                if (exit.PeakRssBytes is { } rss) w.Number("peak_rss_bytes"u8, rss);
                break;
            case ForkEvent fork:
                w.Boolean("thread"u8, fork.IsThread);
                if (fork.CreatorPid is { } creator)
                {
                    w.StartObject("creator"u8); // clone(CLONE_PARENT): who made it, not its parent
                    w.Number("pid"u8, creator);
                    w.EndObject();
                }
                break;
            case UidEvent uid:
                w.Number("ruid"u8, uid.RealUid);
                w.Number("euid"u8, uid.EffectiveUid);
                break;
            case GidEvent gid:
                w.Number("rgid"u8, gid.RealGid);
                w.Number("egid"u8, gid.EffectiveGid);
                break;
            case PtraceEvent ptrace:
                w.Ascii("ptrace"u8, ptrace.IsAttach ? "attach"u8 : "detach"u8);
                w.Number("tracer_pid"u8, ptrace.TracerPid);
                w.Number("tracer_tid"u8, ptrace.TracerTid);
                break;
            case CommEvent comm when comm.OldComm is not null:
                w.String("old_name"u8, comm.OldComm);
                break;
            case LostEvent lost:
                w.String("lost_reason"u8, LostReasonName(lost.Reason));
                w.Number("lost_count"u8, lost.Count);
                break;
            case UnknownEvent unknown:
                w.Number("what"u8, unknown.What);
                break;
            case DeniedEvent denied:
                WriteDenial(ref w, denied);
                break;
            case HashEvent hash:
                EcsWhatRanFields.WriteFollowUp(ref w, hash);
                break;
            case ExecFailedEvent failed:
                WriteExecFailure(ref w, failed);
                break;
        }
        w.EndObject();
    }

    public static string LostReasonName(LossReason reason) => reason switch
    {
        LossReason.KernelBufferOverrun => "kernel_buffer_overrun",
        LossReason.SequenceGap => "sequence_gap",
        LossReason.RingBufferFull => "ring_buffer_full",
        LossReason.QueueFull => "queue_full",
        LossReason.CrossCheck => "cross_check",
        LossReason.TreeBound => "tree_bound",
        _ => "malformed",
    };
}
