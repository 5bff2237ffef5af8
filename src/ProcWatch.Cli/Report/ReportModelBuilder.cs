namespace ProcWatch.Cli.Report;

/// <summary>
/// Folds ECS events into processes. A process is keyed by its entity_id (pid + start time,
/// unique across pid reuse); a stream without entity ids falls back to the pid, a new
/// process at each fork. Events may come in any order (several files, rotated sets): fields
/// merge, and an exec's facts win over what a fork inherited from the parent.
/// </summary>
internal sealed class ReportModelBuilder
{
    /// <summary>Bounds: a daemon's months of events must not take all memory.</summary>
    public const int MaxProcesses = 1_000_000;
    public const int MaxAlerts = 100_000;
    public const int MaxLost = 10_000;
    public const int MaxCorruptSamples = 100;

    private readonly Dictionary<string, ReportProcess> _byKey = new(StringComparer.Ordinal);
    private readonly Dictionary<int, ReportProcess> _latestByPid = [];
    private readonly ReportModel _model = new();
    private readonly HashSet<string> _hosts = new(StringComparer.Ordinal);
    private long _lostOmitted;

    public void AddFile(string name) => _model.Files.Add(name);

    public void AddCorrupt(string file, long line, string reason, ReadOnlySpan<byte> text)
    {
        _model.LinesRead++;
        _model.CorruptLines++;
        if (_model.CorruptSamples.Count < MaxCorruptSamples)
            _model.CorruptSamples.Add(new CorruptLine(file, line, reason, ProcWatch.Text.ProcText.Decode(text[..Math.Min(text.Length, 200)])));
    }

    public void Add(EcsRecord r)
    {
        _model.LinesRead++;
        if (r.Hostname is not null && _hosts.Count < 100)
            _hosts.Add(r.Hostname);
        if (r.Action == "lost")
        {
            if (_model.Lost.Count < MaxLost) _model.Lost.Add(new LostReport(r.TimeUs ?? 0, r.LostReason ?? "unknown", r.LostCount));
            else _lostOmitted += r.LostCount;
            return;
        }
        // A failed exec (-e execfail) started nothing, and its process.* describe the attempt
        // (the argv and path tried), not the caller's program: merged, they would rename it.
        if (r.Action == "execfail")
            return;
        // Threads are not processes: a thread's clone, or the exit of a thread that is not the leader.
        if (r.Pid <= 0 || r.IsThread || r.Action == "clone" || (r.Action == "exit" && r.ThreadId != 0 && r.ThreadId != r.Pid))
            return;
        ReportProcess? p = Find(r);
        if (p is null)
            return;
        Merge(p, r);
        if (r.Kind == "alert")
        {
            if (_model.Alerts.Count < MaxAlerts) _model.Alerts.Add(new ReportAlert(r.TimeUs ?? p.StartUs, p, r.RuleId, r.RuleName, r.Ruleset, r.RuleSeverity));
            else _model.AlertsOmitted++;
        }
    }

    private ReportProcess? Find(EcsRecord r)
    {
        if (r.EntityId is { } entity && _byKey.TryGetValue(entity, out ReportProcess? known))
            return known;
        // Without an entity id: the pid's current process, unless this is a fork (a new one) or it has exited.
        if (r.EntityId is null && r.Action != "fork" && _latestByPid.TryGetValue(r.Pid, out ReportProcess? current) && !current.ExitSeen)
            return current;
        if (_model.Processes.Count >= MaxProcesses)
        {
            _model.ProcessesOmitted++;
            return null;
        }
        var p = new ReportProcess { Key = r.EntityId ?? $"pid-{r.Pid}-{_model.Processes.Count}", Pid = r.Pid, EntityId = r.EntityId };
        _byKey[p.Key] = p;
        _model.Processes.Add(p);
        _latestByPid[r.Pid] = p;
        return p;
    }

    private static string ContainerText(EcsRecord r)
    {
        string id = r.ContainerId!.Length > 12 && r.ContainerName is not null ? r.ContainerId[..12] : r.ContainerId!;
        if (r.ContainerName is null)
            return id;
        return $"{r.ContainerName}{(r.ContainerImage is null ? "" : $" ({r.ContainerImage})")}{(r.ContainerRuntime is null ? "" : $" {r.ContainerRuntime}")}, {id}";
    }

    private static void Merge(ReportProcess p, EcsRecord r)
    {
        long? time = r.TimeUs;
        bool isExec = r.Action == "exec";
        // The fork's parent is the real one; other events name the parent at the time (a reparent after the parent died).
        if (r.ParentPid != 0 && (p.ParentPid == 0 || r.Action == "fork"))
        {
            p.ParentPid = r.ParentPid;
            p.ParentEntityId = r.ParentEntityId ?? p.ParentEntityId;
        }
        else if (p.ParentEntityId is null && r.ParentEntityId is not null && r.ParentPid == p.ParentPid)
        {
            p.ParentEntityId = r.ParentEntityId;
        }
        long? start = r.StartUs ?? (r.Action == "fork" ? time : null);
        if (start is { } s && s < p.StartUs) p.StartUs = s;
        else if (p.StartUs == long.MaxValue && time is { } first) p.StartUs = first; // first sight, refined by a later start
        if (isExec && time is { } execTime && (p.ExecUs is null || execTime >= p.ExecUs))
        {
            // The last exec is what the process ran: its facts replace what came before.
            p.ExecUs = execTime;
            p.Name = r.Name ?? p.Name;
            p.Executable = r.Executable ?? p.Executable;
            p.Args = r.Args ?? p.Args;
            p.WorkingDirectory = r.WorkingDirectory ?? p.WorkingDirectory;
            p.User = r.UserName ?? r.UserId ?? p.User;
            p.ArgvSource = r.ArgvSource ?? p.ArgvSource;
            p.ArgsTruncated = r.ArgsTruncated;
        }
        else if (p.ExecUs is null || r.Action == "comm")
        {
            p.Name = r.Action == "comm" ? r.Name ?? p.Name : p.Name ?? r.Name;
            p.Executable ??= r.Executable;
            p.Args ??= r.Args;
            p.WorkingDirectory ??= r.WorkingDirectory;
            p.User ??= r.UserName ?? r.UserId;
        }
        if (r.ContainerId is not null && (isExec || p.Container is null || r.ContainerName is not null))
        {
            // The fullest description seen (the first events of a new container carry the id alone).
            string described = ContainerText(r);
            if (p.Container is null || described.Length >= p.Container.Length || isExec)
                p.Container = described;
            if (r.PodName is not null)
                p.Pod = $"{r.PodNamespace}/{r.PodName}";
        }
        if (isExec && r.ContainerEntry)
            p.ContainerEntry = true;
        if (r.Action == "exit")
        {
            p.ExitSeen = true;
            p.EndUs = r.EndUs ?? time;
            p.ExitCode = r.WaitStatusUnknown ? null : r.ExitCode;
            p.Signal = r.Signal;
            p.SignalName = r.SignalName;
            p.CoreDumped = r.CoreDumped;
            p.DurationNs = r.DurationNs;
        }
        if (r.Action == "coredump") p.CoreDumped = true;
        if (r.CpuTimeNs is not null) p.CpuTimeNs = r.CpuTimeNs;
        if (r.PeakRssBytes is not null) p.PeakRssBytes = r.PeakRssBytes;
    }

    public ReportModel Build()
    {
        var byPid = new Dictionary<int, List<ReportProcess>>();
        foreach (ReportProcess p in _model.Processes)
        {
            // A crafted or garbled line can end a process before it started: the page's
            // timeline (and its sweep of starts against ends) takes an end at its start.
            if (p.EndUs < p.StartUs) p.EndUs = p.StartUs;
            if (!byPid.TryGetValue(p.Pid, out List<ReportProcess>? list))
                byPid[p.Pid] = list = [];
            list.Add(p);
        }
        foreach (ReportProcess p in _model.Processes)
        {
            ReportProcess? parent = p.ParentEntityId is { } pe && _byKey.TryGetValue(pe, out ReportProcess? byEntity) ? byEntity
                : p.ParentPid != 0 && byPid.TryGetValue(p.ParentPid, out List<ReportProcess>? candidates) ? AliveAt(candidates, p.StartUs)
                : null;
            if (parent is not null && parent != p && !IsAncestor(p, parent))
                p.Parent = parent;
        }
        _model.Processes.Sort((a, b) => a.StartUs.CompareTo(b.StartUs));
        if (_lostOmitted > 0)
            _model.Lost.Add(new LostReport(0, "more loss reports than the report keeps", _lostOmitted));
        _model.Hosts = [.. _hosts];
        return _model;
    }

    /// <summary>Of the processes that had this pid, the one alive when the child started.</summary>
    private static ReportProcess? AliveAt(List<ReportProcess> candidates, long timeUs)
    {
        ReportProcess? best = null;
        foreach (ReportProcess c in candidates)
        {
            if (c.StartUs <= timeUs && (c.EndUs is null || c.EndUs >= timeUs) && (best is null || c.StartUs > best.StartUs))
                best = c;
        }
        return best;
    }

    /// <summary>Hostile or garbled input must not make a parent loop (the report walks chains).</summary>
    private static bool IsAncestor(ReportProcess candidate, ReportProcess of)
    {
        int steps = 0;
        for (ReportProcess? a = of; a is not null && steps < 100_000; a = a.Parent, steps++)
        {
            if (a == candidate) return true;
        }
        return steps >= 100_000;
    }
}
