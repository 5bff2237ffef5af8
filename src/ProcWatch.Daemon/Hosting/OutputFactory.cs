using ProcWatch.Daemon.Configuration;
using ProcWatch.Output.Sinks;
using ProcWatch.Watching;

namespace ProcWatch.Daemon.Hosting;

/// <summary>Opens the configured outputs; a file that cannot be opened at start is a start failure.</summary>
internal static class OutputFactory
{
    /// <exception cref="ProcWatchException">An output cannot be opened (message says which and why).</exception>
    public static List<IOutputSink> Open(IReadOnlyList<OutputDefinition> definitions, Action<string> report)
    {
        var sinks = new List<IOutputSink>(definitions.Count);
        try
        {
            foreach (OutputDefinition d in definitions)
            {
                if (d.Type == OutputType.File && d.AlertsPath is not null)
                    sinks.Add(new AlertsOnlySink(OpenFile(d with { Path = d.AlertsPath, MaxBytes = d.AlertsMaxBytes, Keep = d.AlertsKeep }, report)));
                sinks.Add(d.Type switch
                {
                    OutputType.File => OpenFile(d, report),
                    OutputType.Stdout => new StdoutSink(report),
                    OutputType.ClickHouse => new Outputs.ClickHouse.ClickHouseSink(d.ClickHouse!, report),
                    OutputType.Syslog => new SyslogSink(d.Path!, d.Facility, report),
                    _ => new JournaldSink(d.Path!, report),
                });
            }
        }
        catch
        {
            foreach (IOutputSink sink in sinks)
                sink.Dispose();
            throw;
        }
        return sinks;
    }

    private static RotatingFileSink OpenFile(OutputDefinition d, Action<string> report)
    {
        try
        {
            return new RotatingFileSink(d.Path!, d.MaxBytes, d.Keep, report);
        }
        catch (ProcWatch.Files.UnsafeFileException ex)
        {
            throw new ProcWatchException(FailureKind.UnsafeFile, ex.Message);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ProcWatchException(FailureKind.SystemError, $"cannot open output file {d.Path}: {System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(ex.HResult)}");
        }
    }
}
