namespace ProcWatch;

/// <summary>How deny rules are enforced on this host, best first.</summary>
public enum EnforcementLevel
{
    /// <summary>No deny rules, or none could be enforced.</summary>
    None = 0,
    /// <summary>BPF LSM (bprm_check_security): execve fails with EPERM, nothing of the program runs.</summary>
    Lsm = 1,
    /// <summary>
    /// No BPF LSM: a fanotify permission event (FAN_OPEN_EXEC_PERM) answered FAN_DENY, so execve
    /// fails with EPERM and the caller goes on; a <c>#!</c> script is judged as itself. The
    /// SIGKILL level stays loaded below it for what it cannot see (a memfd). Between
    /// <see cref="Lsm"/> and <see cref="Signal"/> in strength (its value is later: the others shipped first).
    /// </summary>
    Fanotify = 4,
    /// <summary>No BPF LSM: SIGKILL from the exec hook, the process dies before its first instruction.</summary>
    Signal = 2,
    /// <summary>No eBPF: the process is killed through a pidfd after its exec event (it has run briefly).</summary>
    PostExecKill = 3,
}
