using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.Text;

namespace ProcWatch.Cli;

/// <summary>
/// Help for a subcommand (<c>daemon</c>, <c>status</c>) that shows only its own options:
/// the stock help would list the root's COMMAND argument in the subcommand's usage and
/// arguments, which it does not take.
/// </summary>
internal sealed class SubcommandHelp(Command command) : SynchronousCommandLineAction
{
    /// <summary>Gives <paramref name="command"/> its own -h/--help.</summary>
    public static void Attach(Command command) => command.Options.Add(new HelpOption { Action = new SubcommandHelp(command) });

    public override int Invoke(ParseResult parseResult)
    {
        var text = new StringBuilder();
        text.Append("Description:\n  ").Append(command.Description).Append("\n\n");
        text.Append("Usage:\n  procwatch ").Append(command.Name).Append(" [options]\n\nOptions:\n");
        var rows = new List<(string Left, string Right)>();
        foreach (Option option in command.Options)
        {
            string left = option is HelpOption
                ? "-?, -h, --help"
                : string.Join(", ", option.Aliases.Where(a => a.StartsWith('-')).Append(option.Name).Distinct()
                    .OrderBy(n => n.StartsWith("--", StringComparison.Ordinal) ? 1 : 0));
            if (option.HelpName is { } helpName)
                left += $" <{helpName}>";
            rows.Add((left, option is HelpOption ? "Show help and usage information" : option.Description ?? ""));
        }
        int width = rows.Max(r => r.Left.Length) + 2;
        foreach ((string left, string right) in rows)
            text.Append("  ").Append(left.PadRight(width)).Append(right).Append('\n');
        parseResult.InvocationConfiguration.Output.Write(text.Append('\n').ToString());
        return ExitCodes.Success;
    }
}
