namespace ProcWatch;

/// <summary>How deny rules are enforced on this host, best first.</summary>
public enum EnforcementLevel
{
    /// <summary>No deny rules, or none could be enforced.</summary>
    None,
    /// <summary>BPF LSM (bprm_check_security): execve fails with EPERM, nothing of the program runs.</summary>
    Lsm,
    /// <summary>No BPF LSM: SIGKILL from the exec hook, the process dies before its first instruction.</summary>
    Signal,
    /// <summary>No eBPF: the process is killed through a pidfd after its exec event (it has run briefly).</summary>
    PostExecKill,
}
