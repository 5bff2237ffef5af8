using System.CommandLine;
using System.CommandLine.Completions;
using System.CommandLine.Help;

namespace ProcWatch.Cli.Manual;

/// <summary>A visible command and the words that reach it (<c>"fleet schema"</c>; empty for the root).</summary>
internal sealed record CatalogCommand(string Path, Command Command)
{
    public IEnumerable<Option> Options => Command.Options.Where(o => !o.Hidden);

    public IEnumerable<Command> Subcommands => Command.Subcommands.Where(c => !c.Hidden);
}

/// <summary>
/// The command tree <c>--help</c> is printed from (<see cref="Program.BuildCommand"/>), walked for
/// the manual page and the shell completions, so that they list exactly what the parser takes.
/// </summary>
internal static class CommandCatalog
{
    /// <summary>Every visible command, the root first, each before its subcommands.</summary>
    public static List<CatalogCommand> Walk(Command root)
    {
        var all = new List<CatalogCommand>();
        Add(root, "");
        return all;

        void Add(Command command, string path)
        {
            all.Add(new CatalogCommand(path, command));
            foreach (Command sub in command.Subcommands)
            {
                if (!sub.Hidden)
                    Add(sub, path.Length == 0 ? sub.Name : path + " " + sub.Name);
            }
        }
    }

    /// <summary>The shell completions' name for a command: its path with slashes (<c>fleet/schema</c>), <c>''</c> for the root.</summary>
    public static string CaseLabel(CatalogCommand command) => command.Path.Length == 0 ? "''" : command.Path.Replace(' ', '/');

    /// <summary>Every subcommand's <see cref="CaseLabel"/> as one shell case pattern (<c>daemon|fleet|fleet/schema</c>).</summary>
    public static string SubcommandPaths(List<CatalogCommand> commands) => string.Join('|', commands.Skip(1).Select(CaseLabel));

    /// <summary>Every spelling that starts with a dash, short ones first: <c>-e, --events</c>.</summary>
    public static List<string> Names(Option option) =>
        option.Aliases.Prepend(option.Name)
            .Where(n => n.StartsWith('-'))
            .Distinct(StringComparer.Ordinal)
            .OrderBy(n => n.StartsWith("--", StringComparison.Ordinal) ? 1 : 0)
            .ThenBy(n => n, StringComparer.Ordinal)
            .ToList();

    /// <summary>Flags (bool, help, version) take no value.</summary>
    public static bool TakesValue(Option option) =>
        option is not HelpOption and not VersionOption && option.ValueType != typeof(bool);

    /// <summary>The value's name as --help shows it (<c>FILE</c>), else the option's name in capitals.</summary>
    public static string ValueName(Option option) =>
        option.HelpName ?? option.Name.TrimStart('-').ToUpperInvariant().Replace('-', '_');

    /// <summary>What --help says a help or version option does (those have no description of ours).</summary>
    public static string Description(Option option) => option switch
    {
        HelpOption => "Show help and usage information",
        VersionOption => "Show the version and the commit it was built from",
        _ => option.Description ?? "",
    };

    /// <summary>The default as text, when there is one worth printing.</summary>
    public static string? DefaultText(Option option)
    {
        if (!option.HasDefaultValue || !TakesValue(option))
            return null;
        object? value = option.GetDefaultValue();
        return value is null or Array ? null : Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The fixed words an option's value is one of (<c>table tree json</c>), when it declares them.</summary>
    public static List<string> ValueWords(Option option)
    {
        var words = new List<string>();
        if (!TakesValue(option))
            return words;
        foreach (CompletionItem item in option.GetCompletions(CompletionContext.Empty))
            words.Add(item.Label);
        return words;
    }

    /// <summary>A value that names a file or directory (completed from the file system).</summary>
    public static bool TakesPath(Option option) =>
        TakesValue(option) && option.HelpName is "FILE" or "PATH" or "DIR";
}
