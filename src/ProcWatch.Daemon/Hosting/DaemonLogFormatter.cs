using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace ProcWatch.Daemon.Hosting;

/// <summary>
/// One line per message, as an admin reads it: <c>2026-12-07T06:21:45.123Z info: ready: …</c>,
/// without the logger's category and event id (<c>ProcWatch.Daemon.Hosting.DaemonService[90]</c>),
/// which name our classes, not anything the admin acts on. Under systemd the time is the
/// journal's and the level is its <c>&lt;N&gt;</c> priority prefix.
/// </summary>
internal sealed class DaemonLogFormatter() : ConsoleFormatter(FormatterName)
{
    public const string FormatterName = "procwatch";

    private readonly bool _journal = SystemdHelpers.IsSystemdService();

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        string? message = logEntry.Formatter?.Invoke(logEntry.State, logEntry.Exception);
        if (message is null)
            return;
        if (_journal)
        {
            textWriter.Write(Priority(logEntry.LogLevel));
        }
        else
        {
            textWriter.Write(DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z' ", System.Globalization.CultureInfo.InvariantCulture));
            textWriter.Write(Level(logEntry.LogLevel));
            textWriter.Write(": ");
        }
        // One line: a message never carries a line break into the log (names are escaped already).
        textWriter.Write(message.ReplaceLineEndings(" "));
        if (logEntry.Exception is { } ex)
            textWriter.Write($" ({ex.GetType().Name}: {ex.Message.ReplaceLineEndings(" ")})");
        textWriter.Write('\n');
    }

    private static string Level(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        _ => "crit",
    };

    /// <summary>syslog priorities, as journald reads them from a line's start.</summary>
    private static string Priority(LogLevel level) => level switch
    {
        LogLevel.Trace or LogLevel.Debug => "<7>",
        LogLevel.Information => "<6>",
        LogLevel.Warning => "<4>",
        LogLevel.Error => "<3>",
        _ => "<2>",
    };
}
