using System.CommandLine;

namespace ProcWatch.Cli.Report;

/// <summary>
/// <c>procwatch report EVENTS.json... [-o report.html]</c>: reads recorded ECS JSON (files, a
/// rotated set, or "-" for standard input) and writes the self-contained HTML report.
/// </summary>
internal static class ReportCommand
{
    public const string DefaultOutput = "report.html";

    private static readonly Argument<string[]> Inputs = new("EVENTS")
    {
        Description = "Event files written by -f json -o FILE or the daemon (a rotated set: FILE.N ... FILE.1 FILE); - for standard input",
        Arity = ArgumentArity.OneOrMore,
    };

    private static readonly Option<string> Output = new("--output", "-o")
    {
        Description = "Write the report to FILE",
        HelpName = "FILE",
        DefaultValueFactory = _ => DefaultOutput,
    };

    public static Command Build()
    {
        var command = new Command("report", "Write a self-contained HTML timeline, tree and table of what ran") { Inputs, Output };
        command.SetAction(result =>
        {
            string[] inputs = result.GetValue(Inputs) ?? [];
            // EVENTS takes any word: a mistyped option would be read as a file name.
            foreach (string input in inputs)
            {
                if (input.StartsWith('-') && input != "-" && !File.Exists(input))
                {
                    string? near = OptionSuggestion.For(command, input);
                    throw new UsageException($"unrecognized option '{input}' ({(near is null ? "" : $"did you mean {near}? ")}see procwatch report --help)");
                }
            }
            return Run(inputs, result.GetValue(Output) ?? DefaultOutput, Console.Out);
        });
        return command;
    }

    public static int Run(IReadOnlyList<string> inputs, string output, TextWriter where)
    {
        ReportModel model;
        try
        {
            model = EventFileReader.Read(inputs);
        }
        catch (ReportInputException ex)
        {
            ErrorLine.Write(ex.Message); // names the file: escaped like event data
            return ExitCodes.Failure;
        }
        if (model.LinesRead == model.CorruptLines)
        {
            // Nothing in it is an event (a wrong file, a table or tree capture): no empty report.
            ErrorLine.Write(model.CorruptLines == 0
                ? $"no events in {string.Join(", ", inputs)} (expected ECS JSON lines, as written by procwatch -f json or the daemon)"
                : $"no events in {string.Join(", ", inputs)}: {model.CorruptLines} line(s), none of them an ECS JSON event (as written by procwatch -f json or the daemon)");
            return ExitCodes.Failure;
        }
        Write(model, output, where);
        return ExitCodes.Success;
    }

    /// <summary>Writes the report and says where it is (and, on the same stream, what it lacks).</summary>
    public static void Write(ReportModel model, string output, TextWriter where)
    {
        long bytes = HtmlReportWriter.WriteFile(model, output, DateTimeOffset.UtcNow);
        where.WriteLine(ErrorLine.Format($"report written to {Path.GetFullPath(output)} ({model.Processes.Count} processes, {(bytes + 1023) / 1024} KiB)"));
        if (model.TotalLost > 0)
            where.WriteLine($"procwatch: warning: the stream reports {model.TotalLost} lost events; the report says so and is incomplete");
        if (model.CorruptLines > 0)
            where.WriteLine($"procwatch: warning: {model.CorruptLines} unreadable lines skipped (listed in the report's summary)");
        if (model.ProcessesOmitted > 0)
            where.WriteLine($"procwatch: warning: {model.ProcessesOmitted} processes beyond the report's bound of {ReportModelBuilder.MaxProcesses} left out");
    }
}

/// <summary>An input of the report cannot be read; the message is one line.</summary>
internal sealed class ReportInputException : Exception
{
    public ReportInputException(string message) : base(message) { }
    public ReportInputException() { }
    public ReportInputException(string message, Exception inner) : base(message, inner) { }
}
