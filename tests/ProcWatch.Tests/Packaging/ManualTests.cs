using System.CommandLine;
using ProcWatch.Cli;
using ProcWatch.Cli.Manual;
using Xunit;

namespace ProcWatch.Tests.Packaging;

/// <summary>
/// procwatch(8) and the bash and zsh completions are written from the command tree that parses
/// the command line (and prints --help): every option of every command must be in each, in that
/// command's own part, or a user reads or completes something the parser does not take.
/// </summary>
public class ManualTests
{
    private static readonly RootCommand Root = Program.BuildCommand();

    [Fact]
    public void EveryOptionOfEveryCommand_IsInItsPartOfTheManPage_AndOfBothCompletions()
    {
        string man = ProgramManPage.Write(Root), bash = BashCompletion.Write(Root), zsh = ZshCompletion.Write(Root);
        var missing = new List<string>();
        int names = 0;
        List<CatalogCommand> commands = CommandCatalog.Walk(Root);
        foreach (CatalogCommand command in commands)
        {
            string label = command.Path.Length == 0 ? "procwatch" : "procwatch " + command.Path;
            string manPart = ManPart(man, command);
            string bashPart = Between(bash, $"\n        {CaseLabel(command)})\n", "\n            ;;\n");
            string zshPart = Between(zsh, $"\n    ({CaseLabel(command)})\n", "\n      ;;\n");
            foreach (Option option in command.Options)
            {
                foreach (string name in CommandCatalog.Names(option))
                {
                    names++;
                    if (!manPart.Contains(Roff.Bold(name), StringComparison.Ordinal))
                        missing.Add($"man: {label} {name}");
                    if (!Words(bashPart).Contains(name))
                        missing.Add($"bash: {label} {name}");
                    if (!zshPart.Contains($"'{name}'", StringComparison.Ordinal))
                        missing.Add($"zsh: {label} {name}");
                }
            }
            foreach (Command sub in command.Subcommands)
            {
                if (!Words(bashPart).Contains(sub.Name))
                    missing.Add($"bash: {label} {sub.Name}");
                if (!zshPart.Contains($"'1:command:(", StringComparison.Ordinal) || !zshPart.Contains(sub.Name, StringComparison.Ordinal))
                    missing.Add($"zsh: {label} {sub.Name}");
            }
        }
        Assert.Empty(missing);
        // Not vacuous: the watch command alone has over 25 options, and the tree 8 commands.
        Assert.True(names > 50, $"only {names} option names walked");
        Assert.True(commands.Count >= 8, $"only {commands.Count} commands walked");
        Assert.Contains(commands, c => c.Path == "fleet schema");
    }

    [Fact]
    public void TheHiddenGenerators_AreNotInTheManual()
    {
        string man = ProgramManPage.Write(Root), bash = BashCompletion.Write(Root);
        Assert.DoesNotContain("__man", man, StringComparison.Ordinal);
        Assert.DoesNotContain("__man)", bash, StringComparison.Ordinal);
        Assert.DoesNotContain("|__completions", bash, StringComparison.Ordinal);
        Assert.DoesNotContain(" __man", Between(bash, "words=\"", "\""), StringComparison.Ordinal);
        // ...but the parser has them (packaging/build.sh calls them).
        Assert.Contains(Root.Subcommands, c => c.Name == "__man" && c.Hidden);
    }

    [Fact]
    public void OptionValuesWithFixedWords_AreCompleted()
    {
        string bash = BashCompletion.Write(Root), zsh = ZshCompletion.Write(Root);
        Assert.Contains("-f|--format) COMPREPLY=($(compgen -W \"json table tree\" -- \"$cur\")); return ;;", bash, StringComparison.Ordinal);
        Assert.Contains(":BACKEND:(auto connector ebpf procfs)'", zsh, StringComparison.Ordinal);
        Assert.Contains("-c|--config) COMPREPLY=($(compgen -f -- \"$cur\")); return ;;", bash, StringComparison.Ordinal);
    }

    [Fact]
    public void RoffText_CannotStartARequest_NorEscape()
    {
        Assert.Equal("\\&.TH x", Roff.Text(".TH x"));
        Assert.Equal("\\&'x", Roff.Text("'x"));
        Assert.Equal("a\\eb \\-\\-c", Roff.Text("a\\b --c"));
    }

    /// <summary>The root's part is OPTIONS; a subcommand's runs from its .SS heading to the next heading.</summary>
    private static string ManPart(string man, CatalogCommand command) => command.Path.Length == 0
        ? Between(man, "\n.SH OPTIONS\n", "\n.SH COMMANDS\n")
        : Between(man, $"\n.SS \"procwatch {Roff.Text(command.Path)}", "\n.S");

    private static string CaseLabel(CatalogCommand command) => command.Path.Length == 0 ? "''" : command.Path.Replace(' ', '/');

    private static string Between(string text, string start, string end)
    {
        int from = text.IndexOf(start, StringComparison.Ordinal);
        Assert.True(from >= 0, $"no '{start.Trim()}' in:\n{text}");
        from += start.Length;
        int to = text.IndexOf(end, from, StringComparison.Ordinal);
        return to < 0 ? text[from..] : text[from..to];
    }

    private static HashSet<string> Words(string text) =>
        new(text.Split([' ', '\n', '"', '|', ')', '('], StringSplitOptions.RemoveEmptyEntries), StringComparer.Ordinal);
}
