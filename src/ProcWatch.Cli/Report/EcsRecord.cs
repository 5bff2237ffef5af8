namespace ProcWatch.Cli.Report;

/// <summary>
/// The fields of one ECS JSON line that the report uses, whether the line nests objects
/// (<c>{"process":{"pid":1}}</c>, as ProcWatch writes) or flattens them (<c>{"process.pid":1}</c>,
/// as some pipelines do). Reused from line to line; <see cref="Reset"/> clears it.
/// </summary>
internal sealed class EcsRecord
{
    public long? TimeUs;
    public string? Kind;
    public string? Action;
    public int Pid;
    public int ThreadId;
    public string? Name;
    public string? Executable;
    public List<string>? Args;
    public string? WorkingDirectory;
    public string? EntityId;
    public long? StartUs;
    public long? EndUs;
    public int? ExitCode;
    public string? UserName;
    public string? UserId;
    public int ParentPid;
    public string? ParentEntityId;
    public string? RuleId;
    public string? RuleName;
    public string? Ruleset;
    public string? RuleSeverity;
    public bool IsThread;
    public int? Signal;
    public string? SignalName;
    public bool CoreDumped;
    public bool WaitStatusUnknown;
    public long? DurationNs;
    public string? LostReason;
    public long LostCount;
    public string? ArgvSource;
    public bool ArgsTruncated;
    public long? CpuTimeNs;
    public long? PeakRssBytes;
    public string? Hostname;
    public string? ContainerId;
    public string? ContainerName;
    public string? ContainerImage;
    public string? ContainerRuntime;
    public string? PodNamespace;
    public string? PodName;
    public bool ContainerEntry;

    public void Reset()
    {
        TimeUs = StartUs = EndUs = DurationNs = CpuTimeNs = PeakRssBytes = null;
        Kind = Action = Name = Executable = WorkingDirectory = EntityId = UserName = UserId = null;
        ParentEntityId = RuleId = RuleName = Ruleset = RuleSeverity = SignalName = LostReason = ArgvSource = Hostname = null;
        Args = null;
        ContainerId = ContainerName = ContainerImage = ContainerRuntime = PodNamespace = PodName = null;
        ContainerEntry = false;
        Pid = ThreadId = ParentPid = 0;
        ExitCode = Signal = null;
        IsThread = CoreDumped = WaitStatusUnknown = ArgsTruncated = false;
        LostCount = 0;
    }
}
