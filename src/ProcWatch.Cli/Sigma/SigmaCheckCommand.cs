using System.CommandLine;
using System.Text;
using ProcWatch.Sigma;
using ProcWatch.Sigma.Loading;
using ProcWatch.Text;

namespace ProcWatch.Cli.Sigma;

/// <summary>
/// <c>procwatch sigma check PATH...</c>: which Sigma rules load and which do not, and why.
/// Exit 0 when every process_creation rule loads, 1 when some are unsupported or invalid,
/// 2 when a path does not exist.
/// </summary>
internal static class SigmaCheckCommand
{
    private static readonly Argument<string[]> Paths = new("PATH")
    {
        Description = "Sigma rule files or directories (searched recursively for *.yml, *.yaml)",
        Arity = ArgumentArity.OneOrMore,
    };

    private static readonly Option<bool> Quiet = new("--quiet", "-q")
    {
        Description = "List only the rules that do not load (and the summary)",
    };

    public static Command Build()
    {
        var check = new Command("check", "List which Sigma rules load and which do not, and why (exit 0 all load, 1 some do not)")
        {
            Paths,
            Quiet,
        };
        check.SetAction((result, _) => Task.FromResult(Run(result.GetValue(Paths)!, result.GetValue(Quiet), Console.Out)));
        return new Command("sigma", "Sigma rules (see docs/rules-and-sigma.md)") { check };
    }

    public static int Run(IReadOnlyList<string> paths, bool quiet, TextWriter output)
    {
        SigmaLoadReport report;
        try
        {
            report = SigmaLoader.Load(paths);
        }
        catch (SigmaPathException ex)
        {
            throw new UsageException(ex.Message);
        }
        var text = new StringBuilder();
        if (!quiet)
        {
            foreach (SigmaCompiledRule rule in report.Engine.Rules)
                text.Append("ok          ").Append(Escape(rule.Info.File)).Append(": ").Append(Escape(rule.Info.Title)).Append('\n');
            foreach (SigmaSkip skip in report.Skipped)
                text.Append("skipped     ").Append(Escape(skip.File)).Append(": ").Append(Escape(skip.Title)).Append(" (").Append(Escape(skip.LogSource)).Append(")\n");
            foreach (SigmaFilterInfo filter in report.Filters)
            {
                text.Append("filter      ").Append(Escape(filter.Info.File)).Append(": ").Append(Escape(filter.Info.Title))
                    .Append(" (applies to ").Append(filter.RulesFiltered).Append(" rule(s)");
                if (filter.UnmatchedRefs.Count > 0)
                    text.Append("; names no loaded rule: ").Append(Escape(string.Join(", ", filter.UnmatchedRefs)));
                text.Append(")\n");
            }
        }
        foreach (SigmaRejection r in report.Rejected)
        {
            text.Append(r.Unsupported ? "unsupported " : "invalid     ").Append(Escape(r.File));
            if (r.Line > 0) text.Append(':').Append(r.Line);
            text.Append(": ");
            if (r.Title is not null) text.Append(Escape(r.Title)).Append(": ");
            text.Append(Escape(r.Reason)).Append('\n');
        }
        text.Append(report.Summary()).Append('\n');
        output.Write(text.ToString());
        output.Flush();
        return report.Rejected.Count == 0 ? ExitCodes.Success : ExitCodes.Failure;
    }

    /// <summary>Titles, paths and reasons come from files anyone may write: no terminal escapes through.</summary>
    private static string Escape(string text) => TerminalText.Escape(text);
}
