using ProcWatch.Kernel.ProcFs;

namespace ProcWatch.Tracking;

/// <summary>
/// What one read of /proc/PID said, as it said it: plain values, no model yet (the shape of
/// dotnet/runtime's <c>ParsedStat</c>/<c>ParsedStatus</c>). <see cref="ProcessAssembler"/>
/// builds the <see cref="ProcessInfo"/> from it, once. Every field belongs to the process
/// whose start time <see cref="Stat"/> vouches for; one that could not be read is null.
/// </summary>
internal readonly record struct ProcRead(
    ProcStat Stat,
    IReadOnlyList<string>? Args,
    string? Executable,
    bool ExecutableDeleted,
    bool ExecutableTooLong,
    string? WorkingDirectory,
    IdName? User,
    IdName? EffectiveUser,
    IdName? Group,
    IdName? EffectiveGroup,
    uint? LoginUid,
    string? CgroupPath,
    IReadOnlyList<string>? Environment);
