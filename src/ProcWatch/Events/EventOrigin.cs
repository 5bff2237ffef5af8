namespace ProcWatch;

/// <summary>Which mechanism observed an event (JSON <c>procwatch.source</c>).</summary>
public enum EventOrigin : byte
{
    /// <summary>The netlink proc connector.</summary>
    Connector,
    /// <summary>An eBPF program on a scheduler tracepoint.</summary>
    Ebpf,
    /// <summary>A scan of /proc (the fallback backend); no exit codes, may miss short processes.</summary>
    Procfs,
    /// <summary>ProcWatch itself (losses, synthesised events).</summary>
    Watcher,
}

/// <summary>Where an exec's argv came from (JSON <c>procwatch.argv_source</c>).</summary>
public enum ArgvSource : byte
{
    /// <summary>Not known: not read yet, or the read lost the race with the process.</summary>
    None,
    /// <summary>Read from /proc/PID/cmdline after the event (may be raced).</summary>
    Procfs,
    /// <summary>Captured in the kernel at exec time by eBPF (exact).</summary>
    Ebpf,
}

/// <summary>Where <see cref="ProcessInfo.Executable"/> came from, and so whether it is resolved.</summary>
public enum ExecutableSource : byte
{
    /// <summary>Not known (<see cref="ProcessInfo.Executable"/> is null): the process was gone, or /proc/PID/exe is not readable (another user's process without root).</summary>
    None,
    /// <summary>The /proc/PID/exe link: the resolved, canonical path of the running program (symlinks followed).</summary>
    Procfs,
    /// <summary>The absolute filename given to execve, captured by eBPF at exec: exact, but not resolved (it may be a symlink such as /usr/bin/python3).</summary>
    Execve,
    /// <summary>The program's file (mm->exe_file) walked in the kernel at exec by eBPF: resolved like /proc/PID/exe, and exact.</summary>
    Ebpf,
}
