using ProcWatch.Kernel.Accounts;

namespace ProcWatch.Kernel.Ebpf;

/// <summary>Turns kernel records into <see cref="ProcessCapture"/>s: what the kernel saw, nothing merged yet.</summary>
internal static class KernelCaptures
{
    /// <summary>What the record says about the process; enrichment merges it (ProcessAssembler).</summary>
    internal static ProcessCapture OfExec(ExecRecord r, AccountNames? accounts) => new()
    {
        Origin = CaptureOrigin.Kernel,
        ParentPid = r.ParentTgid,
        Name = r.Comm,
        // The walked path when the record has it; else the path as given to execve when it
        // is absolute (relative or /dev/fd/N is not a path to show).
        Executable = r.HasContext ? r.Executable
            : r.Filename.StartsWith('/') && !r.Filename.StartsWith("/dev/fd/", StringComparison.Ordinal) ? r.Filename : null,
        ExecFilename = r.Filename,
        ExecutableDeleted = r.ExecutableDeleted,
        ExecutableMemfd = r.ExecutableMemfd,
        ExecutableMode = r.File?.Mode,
        ExecutableOwner = r.File?.OwnerUid,
        ExecutableVersion = r.File is { } f ? new ProcWatch.Events.ExecutableVersion(f.Device, f.Inode, f.Size, f.MtimeNs, f.CtimeNs) : null,
        AncestorPids = r.Ancestors.IsDefaultOrEmpty ? null : r.Ancestors,
        ExecutableSource = r.HasContext && r.Executable is not null ? ExecutableSource.Ebpf
            : r.Filename.StartsWith('/') && !r.Filename.StartsWith("/dev/fd/", StringComparison.Ordinal) ? ExecutableSource.Execve : ExecutableSource.None,
        Args = r.Argv,
        ArgsTruncated = r.ArgvTruncated,
        ArgsCount = r.Argc,
        ArgvSource = ArgvSource.Ebpf,
        WorkingDirectory = r.WorkingDirectory,
        User = new IdName(r.Uid, accounts?.UserName(r.Uid)),
        Group = new IdName(r.Gid, accounts?.GroupName(r.Gid)),
        EffectiveUser = r.Identity.Known ? new IdName(r.Identity.EffectiveUid, accounts?.UserName(r.Identity.EffectiveUid)) : null,
        EffectiveGroup = r.Identity.Known ? new IdName(r.Identity.EffectiveGid, accounts?.GroupName(r.Identity.EffectiveGid)) : null,
        LoginUidKnown = r.Identity.Known,
        LoginUid = r.Identity.LoginUid,
        CgroupId = r.Identity.Known && r.Identity.CgroupId != 0 ? r.Identity.CgroupId : null,
        SessionId = r.HasContext ? r.SessionId : null,
        ProcessGroupId = r.HasContext ? r.ProcessGroupId : null,
        TtyNr = r.HasContext ? r.TtyNr : null,
        EnteredPidNamespace = r.EnteredPidNamespace,
        StartBootNs = r.StartBootNs != 0 ? r.StartBootNs : null,
        HasExecContext = r.HasContext && r.StartBootNs != 0,
    };
}
