using Microsoft.Extensions.Logging;
using ProcWatch.Daemon.Configuration;
using ProcWatch.Sigma.Loading;
using ProcWatch.Text;
using ProcWatch.Watching;

namespace ProcWatch.Daemon.Hosting;

/// <summary>Builds the daemon's <see cref="RuleSet"/> with its Sigma paths, and logs what loaded and what did not.</summary>
internal static partial class SigmaRules
{
    /// <exception cref="ProcWatchException">A Sigma path vanished since the configuration was read (at start).</exception>
    public static RuleSet Build(DaemonConfig config, ILogger log)
    {
        RuleSet set;
        try
        {
            set = new RuleSet(config.Rules, config.Sigma, config.SigmaFilters);
        }
        catch (SigmaPathException ex)
        {
            throw new ProcWatchException(FailureKind.SystemError, ex.Message);
        }
        foreach ((string path, SigmaLoadReport report) in set.SigmaReports)
        {
            // Rule files are anyone's who can write the rule directory: escaped like event data.
            Loaded(log, TerminalText.Escape(path), report.Summary());
            foreach (SigmaRejection r in report.Rejected)
                NotLoaded(log, TerminalText.Escape(r.Line > 0 ? $"{r.File}:{r.Line}" : r.File), r.Unsupported ? "unsupported" : "invalid", TerminalText.Escape(r.Reason));
        }
        return set;
    }

    [LoggerMessage(90, LogLevel.Information, "sigma {Path}: {Summary}")]
    private static partial void Loaded(ILogger logger, string path, string summary);

    [LoggerMessage(91, LogLevel.Warning, "sigma {Where}: {Kind}: {Reason}")]
    private static partial void NotLoaded(ILogger logger, string where, string kind, string reason);
}
