using ProcWatch.Events;
using ProcWatch.Output;

namespace ProcWatch.Cli.Report;

/// <summary>
/// <c>--report FILE</c>: records the traced command's events as ECS JSON in a temporary file
/// beside the stream the user sees, and at the end turns that file into the HTML report, the
/// same way <c>procwatch report</c> would. Written by the output thread only.
/// </summary>
internal sealed class ReportRecorder : IDisposable
{
    private readonly EcsJsonFormatter _formatter = new();
    private readonly EventOutput _events;
    private readonly string _eventsPath;
    private readonly string _reportPath;

    /// <summary>What the report's header names as its source: the traced command, not our temporary file.</summary>
    private readonly string _source;

    public ReportRecorder(string reportPath, IReadOnlyList<string> command)
    {
        _reportPath = reportPath;
        _source = "live trace of: " + Text.CommandLine.Join(command);
        _eventsPath = Path.Combine(Path.GetTempPath(), $"procwatch-report-{Environment.ProcessId}-{Guid.NewGuid():N}.json");
        _events = EventOutput.CreateNew(_eventsPath); // O_EXCL|O_NOFOLLOW, 0600: the temp directory is everyone's
    }

    public void Record(ProcessEvent e) => _formatter.Write(e, _events.Buffer);

    /// <summary>A <c>--sigma</c> alert, so that the report shows it too.</summary>
    public void RecordAlert(ProcessEvent e, AlertInfo alert) => _formatter.WriteAlert(e, alert, _events.Buffer);

    public void Flush() => _events.Flush();

    /// <summary>Writes the report and says on standard error where it is.</summary>
    public void Finish()
    {
        _events.Flush();
        ReportModel model;
        try
        {
            model = EventFileReader.Read([_eventsPath]);
        }
        catch (ReportInputException ex)
        {
            throw new OutputException("cannot write report " + _reportPath + ": " + ex.Message);
        }
        model.Files.Clear(); // the recording is deleted when we exit
        model.Files.Add(_source);
        ReportCommand.Write(model, _reportPath, Console.Error);
    }

    public void Dispose()
    {
        _events.Dispose();
        try { File.Delete(_eventsPath); }
        catch (IOException) { /* in the temp directory: the system cleans it */ }
    }
}
