using System.Buffers;
using System.Globalization;
using ProcWatch.Events;
using ProcWatch.Output;
using ProcWatch.Sigma;
using ProcWatch.Text;

namespace ProcWatch.Cli.Sigma;

/// <summary>
/// <c>--sigma</c>: after each exec is written, the rules it fires, each as one more record in
/// the stream: the ECS alert document in JSON, one highlighted line in table and tree views.
/// With <c>--sigma</c> or <c>--match</c>, also the built-in alerts the daemon raises (argv
/// truncated, executable unknown: what rules could not fully see). Without an engine
/// (<c>--match</c> alone) only those. Runs on the output thread (the engine is
/// single-threaded and allocation-free per event).
/// </summary>
internal sealed class SigmaAlertWriter(SigmaEngine? engine, OutputFormat format, bool color)
{
    private readonly List<SigmaCompiledRule> _hits = [];
    private readonly EcsJsonFormatter _json = new();

    public long Alerts { get; private set; }

    /// <param name="report">With <c>--report</c>: the alerts are recorded for the report too.</param>
    public void AfterEvent(ProcessEvent e, IBufferWriter<byte> output, Report.ReportRecorder? report)
    {
        if (e is ExecEvent { Process: { } p })
        {
            if (p.ArgsTruncated) Write(e, BuiltInAlerts.ArgvTruncated, output, report);
            if (p.ExecutableUnknown) Write(e, BuiltInAlerts.ExecutableUnknown, output, report);
        }
        if (engine is null || engine.Evaluate(e, _hits) == 0)
            return;
        foreach (SigmaCompiledRule rule in _hits)
            Write(e, rule.Alert, output, report);
    }

    private void Write(ProcessEvent e, AlertInfo alert, IBufferWriter<byte> output, Report.ReportRecorder? report)
    {
        Alerts++;
        if (format == OutputFormat.Json) _json.WriteAlert(e, alert, output);
        else WriteLine(e, alert, output);
        report?.RecordAlert(e, alert);
    }

    /// <summary>"HH:mm:ss.fff ALERT    PID sigma high: TITLE [T1059.004] COMMAND LINE" — bold red on a terminal.</summary>
    private void WriteLine(ProcessEvent e, AlertInfo alert, IBufferWriter<byte> output)
    {
        if (color) output.Write("\u001b[1;31m"u8);
        string time = e.Timestamp.ToLocalTime().ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture);
        TerminalText.Append(output, $"{time} ALERT {e.Pid,9} {alert.Ruleset ?? "procwatch"} {alert.Severity}: ");
        TerminalText.Append(output, alert.RuleName);
        if (alert.Techniques.Count > 0)
            TerminalText.Append(output, " [" + string.Join(", ", alert.Techniques) + "]");
        ProcessInfo? p = e.Process;
        string what = p?.Args is { Count: > 0 } args ? CommandLine.Join(args) : p?.Executable ?? p?.Name ?? "?";
        output.Write(": "u8);
        TerminalText.Append(output, what);
        if (color) output.Write("\u001b[0m"u8);
        output.Write("\n"u8);
    }
}
