using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.Text;

namespace ProcWatch.Cli;

/// <summary>
/// Help for a subcommand (<c>daemon</c>, <c>report</c>, <c>sigma check</c>…) that shows only
/// what it takes: the stock help would put the root's COMMAND argument in the subcommand's
/// usage (<c>procwatch [&lt;COMMAND&gt;...] doctor</c>), which it does not take.
/// </summary>
internal sealed class SubcommandHelp(Command command) : SynchronousCommandLineAction
{
    /// <summary>Gives every subcommand under <paramref name="root"/> its own -h/--help.</summary>
    public static void AttachAll(Command root)
    {
        foreach (Command sub in root.Subcommands)
        {
            Attach(sub);
            AttachAll(sub);
        }
    }

    /// <summary>Gives <paramref name="command"/> its own -h/--help.</summary>
    public static void Attach(Command command)
    {
        if (!command.Options.Any(o => o is HelpOption))
            command.Options.Add(new HelpOption { Action = new SubcommandHelp(command) });
    }

    /// <summary>"procwatch sigma check &lt;PATH&gt;... [options]": the usage line, also quoted by usage errors.</summary>
    public static string Usage(Command command)
    {
        var usage = new StringBuilder("procwatch ").Append(Path(command));
        if (command.Subcommands.Count > 0)
            usage.Append(" <command>");
        foreach (Argument argument in command.Arguments)
        {
            bool many = argument.Arity.MaximumNumberOfValues > 1;
            bool optional = argument.Arity.MinimumNumberOfValues == 0;
            usage.Append(' ').Append(optional ? "[" : "").Append('<').Append(argument.Name).Append('>').Append(many ? "..." : "").Append(optional ? "]" : "");
        }
        return usage.Append(" [options]").ToString();
    }

    /// <summary>The words after "procwatch" that name <paramref name="command"/> ("sigma check").</summary>
    public static string Path(Command command)
    {
        var names = new List<string>();
        for (Command? c = command; c is not null and not RootCommand; c = c.Parents.OfType<Command>().FirstOrDefault())
            names.Insert(0, c.Name);
        return string.Join(' ', names);
    }

    public override int Invoke(ParseResult parseResult)
    {
        var text = new StringBuilder();
        text.Append("Description:\n  ").Append(command.Description).Append("\n\n");
        text.Append("Usage:\n  ").Append(Usage(command)).Append("\n\n");
        if (command.Arguments.Count > 0)
            Section(text, "Arguments", command.Arguments.Select(a => ($"<{a.Name}>", a.Description ?? "")));
        if (command.Subcommands.Count > 0)
            Section(text, "Commands", command.Subcommands.Select(c => (c.Name + string.Concat(c.Arguments.Select(a => $" <{a.Name}>")), c.Description ?? "")));
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
        Section(text, "Options", rows);
        parseResult.InvocationConfiguration.Output.Write(text.ToString());
        return ExitCodes.Success;
    }

    private static void Section(StringBuilder text, string title, IEnumerable<(string Left, string Right)> rows)
    {
        var list = rows.ToList();
        int width = list.Max(r => r.Left.Length) + 2;
        text.Append(title).Append(":\n");
        foreach ((string left, string right) in list)
            text.Append("  ").Append(left.PadRight(width)).Append(right).Append('\n');
        text.Append('\n');
    }
}
