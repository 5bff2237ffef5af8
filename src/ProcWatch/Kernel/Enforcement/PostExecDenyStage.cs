using ProcWatch.Core;
using ProcWatch.Interop;
using ProcWatch.Kernel.ProcFs;

namespace ProcWatch.Kernel.Enforcement;

/// <summary>
/// The last level, for hosts where no deny program loads (no eBPF): each exec event is judged
/// in user space against the same compiled policy, and a match is killed through a pidfd (the
/// pid checked against the exec's start time first, so a reused pid is never hit). The
/// program has run briefly by then: the warning at start says so. Idle (one branch per
/// event) whenever the kernel enforces.
/// </summary>
internal sealed class PostExecDenyStage(DenyEnforcer enforcer) : IEventStage
{
    private const int SIGKILL = 9;

    public void Process(ProcessEvent processEvent, IEventSink next)
    {
        next.Post(processEvent);
        if (enforcer.Level != EnforcementLevel.PostExecKill || processEvent is not ExecEvent { Process: { } p } exec)
            return;
        if (exec.Pid <= 1 || exec.Pid == Environment.ProcessId)
            return;
        KernelPolicy policy = enforcer.Policy;
        if (policy.Rules.Count == 0 || Judge(policy, exec.Pid, p) is not { } index)
            return;
        DenyRule rule = policy.Rules[index];
        if (!rule.Audit)
            Kill(exec.Pid, p);
        next.Post(new DeniedEvent
        {
            KernelTimeNs = exec.KernelTimeNs,
            Timestamp = exec.Timestamp,
            Pid = exec.Pid,
            Tid = exec.Tid,
            Origin = EventOrigin.Watcher,
            Process = p,
            RuleName = rule.Name,
            Audit = rule.Audit,
            Level = EnforcementLevel.PostExecKill,
        });
        enforcer.Count(rule.Name);
    }

    /// <summary>The rule that forbids this program (an enforcing one before an audit one), or null.</summary>
    private int? Judge(KernelPolicy policy, int pid, ProcessInfo p)
    {
        if (!FileIdentity.TryStat($"/proc/{pid}/exe", followLinks: true, out FileIdentity? id, out _) || enforcer.IsProtected(id.Value))
            return null;
        var candidates = new List<uint>();
        if (policy.Files.TryGetValue(id.Value, out List<uint>? files))
            candidates.AddRange(files);
        if (p.ExecutableDeleted || p.ExecutableMemfd)
            candidates.AddRange(policy.Fileless);
        candidates.AddRange(policy.AnyFile);
        if (policy.Directories.Count > 0 && p.Executable is { } exe && !p.ExecutableMemfd)
        {
            for (string? dir = Path.GetDirectoryName(exe); dir is not null; dir = Path.GetDirectoryName(dir))
            {
                if (FileIdentity.TryStat(dir, followLinks: true, out FileIdentity? d, out _) && policy.Directories.TryGetValue(d.Value, out List<uint>? refs))
                    candidates.AddRange(refs);
            }
        }
        int? best = null;
        foreach (uint index in candidates)
        {
            deny_rule k = policy.KernelRules[index];
            if ((k.flags & deny_rule_flags.DENY_RULE_UID) != 0 && p.User?.Id != k.uid && p.EffectiveUser?.Id != k.uid)
                continue;
            if ((k.flags & deny_rule_flags.DENY_RULE_CGROUP) != 0 && p.CgroupId != k.cgroup_id)
                continue; // only the exact cgroup is known here
            if ((k.flags & deny_rule_flags.DENY_RULE_PARENT) != 0 &&
                (p.ParentPid is not { } ppid || !FileIdentity.TryStat($"/proc/{ppid}/exe", followLinks: true, out FileIdentity? parent, out _)
                 || parent.Value != new FileIdentity(k.parent_dev, k.parent_ino)))
                continue;
            if (best is null || (k.flags & deny_rule_flags.DENY_RULE_AUDIT) == 0)
                best = (int)index;
            if ((k.flags & deny_rule_flags.DENY_RULE_AUDIT) == 0)
                break;
        }
        return best;
    }

    private static void Kill(int pid, ProcessInfo p)
    {
        int fd = Libc.PidfdOpen(pid);
        if (fd < 0)
            return; // gone already
        try
        {
            // The pidfd pins one process; it must be the one that exec'd (not a reused pid).
            if (p.StartTimeTicks is { } start && ProcStat.TryRead(pid, out ProcStat stat) && !PidReuseGuard.IsSameProcess(stat.StartTimeTicks, start, expectedIsExact: true))
                return;
            Libc.PidfdSendSignal(fd, SIGKILL);
        }
        finally
        {
            Libc.Close(fd);
        }
    }
}
