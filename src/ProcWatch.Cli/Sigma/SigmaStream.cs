using ProcWatch.Sigma.Loading;

namespace ProcWatch.Cli.Sigma;

/// <summary>Loads <c>--sigma</c> paths for the live stream; rules that do not load are counted in one note line.</summary>
internal static class SigmaStream
{
    /// <exception cref="UsageException">A path does not exist.</exception>
    public static SigmaAlertWriter? Open(WatchArgs args, TextWriter notes)
    {
        if (args.SigmaPaths.Count == 0)
            return args.Match is null ? null : new SigmaAlertWriter(null, args.Format, UseColor(args)); // --match: the built-in alerts only
        SigmaLoadReport report;
        try
        {
            report = SigmaLoader.Load(args.SigmaPaths);
        }
        catch (SigmaPathException ex)
        {
            throw new UsageException("--sigma: " + ex.Message);
        }
        if (report.Rejected.Count > 0 || args.Verbose)
        {
            string hint = report.Rejected.Count > 0 ? $"; see procwatch sigma check {string.Join(' ', args.SigmaPaths)}" : "";
            notes.WriteLine($"procwatch: note: {report.Summary()}{hint}");
        }
        return new SigmaAlertWriter(report.Engine, args.Format, UseColor(args));
    }

    private static bool UseColor(WatchArgs args) =>
        args.Format != OutputFormat.Json && args.OutputPath is null && !Console.IsOutputRedirected
        && Environment.GetEnvironmentVariable("NO_COLOR") is null or "";
}
