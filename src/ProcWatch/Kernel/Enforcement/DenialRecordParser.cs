using System.Runtime.InteropServices;
using ProcWatch.Kernel.Accounts;
using ProcWatch.Kernel.Connector;
using ProcWatch.Kernel.Ebpf;
using ProcWatch.Text;

namespace ProcWatch.Kernel.Enforcement;

/// <summary>Turns one deny.bpf.c record into a <see cref="DeniedEvent"/>; null when it is malformed.</summary>
internal static class DenialRecordParser
{
    /// <param name="ruleOf">The rule at (generation, index); null when that generation is gone.</param>
    internal static unsafe DeniedEvent? TryParse(ReadOnlySpan<byte> sample, Func<uint, uint, DenyRule?> ruleOf, EnforcementLevel programLevel, KernelClock clock, AccountNames accounts)
    {
        if (!MemoryMarshal.TryRead(sample, out deny_record_header h) || h.kind != deny_record_header.DENY_RECORD_KIND)
            return null;
        var tail = new RecordTail(sample[deny_record_header.Size..]);
        ReadOnlySpan<byte> filename = tail.Take(h.filename_len);
        ReadOnlySpan<byte> exe = tail.Take(h.exe_len);
        ReadOnlySpan<byte> cwd = tail.Take(h.cwd_len);
        ReadOnlySpan<byte> argv = tail.Take(h.argv_len);
        if (tail.Overrun)
            return null;
        DenyRule? rule = ruleOf(h.generation, h.rule);
        deny_record_flags flags = h.flags;
        bool anonymous = (flags & deny_record_flags.DENY_RECORD_EXE_ANONYMOUS) != 0;
        bool deleted = (flags & deny_record_flags.DENY_RECORD_EXE_DELETED) != 0 || h.exe_nlink == 0;
        bool argvKnown = (flags & deny_record_flags.DENY_RECORD_ARGV_UNKNOWN) == 0;
        IReadOnlyList<string>? args = argvKnown && !argv.IsEmpty ? ExecRecordParser.SplitArgv(argv) : null;
        var process = new ProcessInfo
        {
            Pid = (int)h.tgid,
            ParentPid = (int)h.ppid,
            Name = ProcText.DecodeCString(MemoryMarshal.CreateReadOnlySpan(ref h.comm[0], CnProc.TASK_COMM_LEN)),
            Executable = anonymous ? null : ExecRecordParser.JoinPath(exe),
            ExecutableDeleted = deleted && !anonymous,
            ExecutableMemfd = anonymous,
            ExecutableMode = h.exe_mode,
            ExecutableSource = ExecutableSource.Ebpf,
            Args = args,
            ArgsTruncated = (flags & deny_record_flags.DENY_RECORD_ARGV_TRUNCATED) != 0,
            ArgsCount = h.argc >= 0 ? h.argc : null,
            ArgvSource = args is null ? ArgvSource.None : ArgvSource.Ebpf,
            WorkingDirectory = h.cwd_len > 0 || (flags & deny_record_flags.DENY_RECORD_CWD_TRUNCATED) == 0 ? ExecRecordParser.JoinPath(cwd) : null,
            User = new IdName(h.uid, accounts.UserName(h.uid)),
            EffectiveUser = new IdName(h.euid, accounts.UserName(h.euid)),
            CgroupId = h.cgroup_id,
            StartBootNs = h.start_boottime_ns,
        };
        return new DeniedEvent
        {
            KernelTimeNs = (long)h.ktime_ns,
            Timestamp = clock.ToWallClock((long)h.ktime_ns),
            Pid = (int)h.tgid,
            Tid = (int)h.pid,
            Origin = EventOrigin.Ebpf,
            Process = process,
            RuleName = rule?.Name ?? $"#{h.rule}",
            Audit = (flags & deny_record_flags.DENY_RECORD_AUDIT) != 0,
            Level = (flags & deny_record_flags.DENY_RECORD_LSM) != 0 ? EnforcementLevel.Lsm
                : (flags & deny_record_flags.DENY_RECORD_SIGNAL) != 0 ? EnforcementLevel.Signal
                : programLevel,
            Filename = filename.IsEmpty ? null : ProcText.Decode(filename),
        };
    }
}
