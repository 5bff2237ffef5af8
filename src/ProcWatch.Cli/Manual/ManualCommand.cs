using System.CommandLine;

namespace ProcWatch.Cli.Manual;

/// <summary>
/// Hidden commands that print the manual pages and shell completions from the live command tree
/// and the configuration schema (packaging/build.sh calls them): <c>procwatch __man procwatch.8</c>,
/// <c>procwatch __man procwatch.yaml.5</c>, <c>procwatch __completions bash|zsh</c>.
/// </summary>
internal static class ManualCommand
{
    public const string ProgramPage = "procwatch.8";
    public const string ConfigPage = "procwatch.yaml.5";

    private static readonly Argument<string> Page = new("PAGE") { Description = $"{ProgramPage} | {ConfigPage}" };
    private static readonly Argument<string> Shell = new("SHELL") { Description = "bash | zsh" };

    public static IEnumerable<Command> Build()
    {
        var man = new Command("__man", "Print a manual page (roff)") { Hidden = true };
        man.Arguments.Add(Page);
        man.SetAction(result => Print(result, result.GetValue(Page) switch
        {
            ProgramPage => ProgramManPage.Write(result.RootCommandResult.Command),
            ConfigPage => ConfigManPage.Write(),
            string other => throw new UsageException($"no manual page '{other}' (expected {ProgramPage} or {ConfigPage})"),
            null => throw new UsageException("__man needs a PAGE"),
        }));

        var completions = new Command("__completions", "Print a shell completion script") { Hidden = true };
        completions.Arguments.Add(Shell);
        completions.SetAction(result => Print(result, result.GetValue(Shell) switch
        {
            "bash" => BashCompletion.Write(result.RootCommandResult.Command),
            "zsh" => ZshCompletion.Write(result.RootCommandResult.Command),
            string other => throw new UsageException($"no completions for '{other}' (expected bash or zsh)"),
            null => throw new UsageException("__completions needs a SHELL"),
        }));
        return [man, completions];
    }

    private static int Print(ParseResult result, string text)
    {
        result.InvocationConfiguration.Output.Write(text);
        return ExitCodes.Success;
    }
}
