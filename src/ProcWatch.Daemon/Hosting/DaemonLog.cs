using Microsoft.Extensions.Logging;

namespace ProcWatch.Daemon.Hosting;

/// <summary>Everything the daemon logs, with fixed event ids (source-generated, no boxing).</summary>
internal static partial class DaemonLog
{
    [LoggerMessage(1, LogLevel.Information, "ready: {Source}; config {Config}; {Outputs} output(s), {Rules} rule(s); recording {Events}")]
    public static partial void Ready(ILogger logger, string source, string config, int outputs, int rules, string events);

    [LoggerMessage(22, LogLevel.Warning, "{Message}")]
    public static partial void ContainerRuntimeWarning(ILogger logger, string message);

    [LoggerMessage(2, LogLevel.Information, "counters: {Summary}")]
    public static partial void Counters(ILogger logger, string summary);

    [LoggerMessage(3, LogLevel.Warning, "output {Problem}")]
    public static partial void OutputProblem(ILogger logger, string problem);

    [LoggerMessage(4, LogLevel.Warning, "events lost ({Reason}): {Count}")]
    public static partial void Lost(ILogger logger, string reason, long count);

    [LoggerMessage(5, LogLevel.Warning, "rule {Rule}: killed pid {Pid} ({Process})")]
    public static partial void Killed(ILogger logger, string rule, int pid, string process);

    [LoggerMessage(6, LogLevel.Warning, "rule {Rule}: could not kill pid {Pid} ({Process}): errno {Errno}")]
    public static partial void KillFailed(ILogger logger, string rule, int pid, string process, int errno);

    [LoggerMessage(20, LogLevel.Warning, "rule {Rule}: pid {Pid} ({Process}) had already exited; nothing killed (the pid may belong to another process now)")]
    public static partial void KillGone(ILogger logger, string rule, int pid, string process);

    [LoggerMessage(21, LogLevel.Warning, "rule {Rule}: pid {Pid} ({Process}) not killed: identity not certain (the process holding the pid now cannot be proven to be the one that matched)")]
    public static partial void KillUnverified(ILogger logger, string rule, int pid, string process);

    [LoggerMessage(7, LogLevel.Debug, "rule {Rule}: action {Program} {Detail}")]
    public static partial void ActionSucceeded(ILogger logger, string rule, string program, string detail);

    [LoggerMessage(8, LogLevel.Warning, "rule {Rule}: action {Program} {Result}: {Detail}")]
    public static partial void ActionFailed(ILogger logger, string rule, string program, string result, string detail);

    [LoggerMessage(9, LogLevel.Warning, "rule {Rule}: exec action over its rate limit; skipped (counted) until the limit allows again")]
    public static partial void RateLimited(ILogger logger, string rule);

    [LoggerMessage(10, LogLevel.Warning, "status socket {Path} not available: {Reason}")]
    public static partial void StatusSocketFailed(ILogger logger, string path, string reason);

    [LoggerMessage(11, LogLevel.Information, "metrics on http://{Endpoint}/metrics")]
    public static partial void MetricsListening(ILogger logger, string endpoint);

    [LoggerMessage(12, LogLevel.Information, "SIGHUP: outputs reopened")]
    public static partial void Reopened(ILogger logger);

    [LoggerMessage(13, LogLevel.Information, "stopped; final counters: {Summary}")]
    public static partial void Stopped(ILogger logger, string summary);

    [LoggerMessage(16, LogLevel.Warning, "{Warning}")]
    public static partial void BackendWarning(ILogger logger, string warning);

    // The message, not the exception: one line in the journal, no stack trace.
    [LoggerMessage(15, LogLevel.Critical, "event loop failed: {Reason}; stopping")]
    public static partial void LoopFailed(ILogger logger, string reason);

    [LoggerMessage(14, LogLevel.Warning, "rule {Rule}: action queue full; action dropped (counted)")]
    public static partial void ActionQueueFull(ILogger logger, string rule);

    [LoggerMessage(17, LogLevel.Information, "SIGHUP: {Count} rule(s) loaded from {Source}")]
    public static partial void RulesReloaded(ILogger logger, int count, string source);

    [LoggerMessage(18, LogLevel.Error, "SIGHUP: configuration not reloaded, the {Count} running rule(s) stay: {Reason}")]
    public static partial void ReloadFailed(ILogger logger, string reason, int count);

    // Ids 2001+: issue 20's reload guard (kept apart from the ids other changes add).
    [LoggerMessage(2001, LogLevel.Warning, "SIGHUP: {Source} is empty; nothing reloaded, the {Count} running rule(s) stay")]
    public static partial void ReloadEmptyFile(ILogger logger, string source, int count);

    [LoggerMessage(2002, LogLevel.Warning, "SIGHUP: {Source} has no rules; the {Count} running rule(s) stay (to remove every rule, say so: rules: [])")]
    public static partial void ReloadWouldDisarm(ILogger logger, string source, int count);

    [LoggerMessage(19, LogLevel.Warning, "SIGHUP: the new rules look at events not subscribed at start ({Kinds}); restart the daemon for them")]
    public static partial void ReloadNeedsRestart(ILogger logger, string kinds);

    [LoggerMessage(40, LogLevel.Warning, "flood: user {User} (uid {Uid}) wrote {Bytes} bytes of events within a minute (bound {Bound}); arguments beyond {Kept} bytes are cut for this user until the minute ends (counted: procwatch_flood_cut_events_total)")]
    public static partial void Flood(ILogger logger, string user, uint uid, long bytes, long bound, int kept);
}
