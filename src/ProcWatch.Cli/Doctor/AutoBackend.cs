namespace ProcWatch.Cli.Doctor;

/// <summary>
/// What <see cref="Watching.BackendSelector"/> does for <c>--backend auto</c>, given the
/// findings (the same two tests it makes: the connector probe, then loading the eBPF
/// program), and what each fallback costs the user.
/// </summary>
internal static class AutoBackend
{
    public const string Best = "connector+ebpf";

    public static AutoBackendFinding Describe(ConnectorFinding connector, EbpfFinding ebpf)
    {
        if (!connector.Works)
        {
            return new AutoBackendFinding("procfs", false,
            [
                "processes shorter than a scan (~1 ms with inotify wake-ups, the scan interval without) are missed",
                "no exit codes; exit times and durations are only as exact as the scans",
                "no clone, comm, uid, gid, sid, ptrace or coredump events",
            ], connector.Missing);
        }
        if (!ebpf.Works)
        {
            return new AutoBackendFinding("connector", false,
            [
                "exact argv: it is read from /proc after the exec, so a process that exits or execs again within microseconds shows <unknown> or its next program",
            ], ebpf.Missing);
        }
        return new AutoBackendFinding(Best, true, [], Missing.Nothing);
    }
}
