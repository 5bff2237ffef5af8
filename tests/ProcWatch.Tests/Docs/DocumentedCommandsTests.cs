using System.CommandLine;
using System.Text;
using ProcWatch.Cli;
using Xunit;

namespace ProcWatch.Tests.Docs;

/// <summary>
/// Every <c>procwatch …</c> command line shown in a code block of README.md or docs/*.md still
/// parses with today's options: a renamed or removed option breaks this test, not the reader.
/// The lines go through the CLI's own parser in-process (values that need the host, such as a
/// live pid or a user name, are not checked).
/// </summary>
public sealed class DocumentedCommandsTests
{
    [Fact]
    public void Every_procwatch_command_line_in_the_docs_parses()
    {
        string root = RepositoryRoot();
        var files = new List<string> { Path.Combine(root, "README.md") };
        files.AddRange(Directory.GetFiles(Path.Combine(root, "docs"), "*.md"));
        var failures = new List<string>();
        int checkedLines = 0;
        foreach (string file in files)
        {
            foreach ((int line, string[] args) in CommandLines(File.ReadAllLines(file)))
            {
                checkedLines++;
                ParseResult parsed = Program.BuildCommand().Parse(args);
                string? problem = parsed.Errors.Count > 0 && parsed.Action is not SubcommandHelp ? parsed.Errors[0].Message
                    : Program.StrayCommandToken(parsed, args) is { } stray ? $"unrecognized argument '{stray}'"
                    : Program.IsBareSeparator(parsed, args) ? "bare --"
                    : null;
                if (problem is not null)
                    failures.Add($"{Path.GetRelativePath(root, file)}:{line}: procwatch {string.Join(' ', args)}: {problem}");
            }
        }
        Assert.True(checkedLines >= 20, $"only {checkedLines} command lines found: is the extraction broken?");
        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    [Theory]
    [InlineData("sudo artifacts/procwatch -f json | jq .   # one object per line", "-f json")]
    [InlineData("$ procwatch --match 'curl|wget' -- sh -c \"echo a b\"", "--match curl|wget -- sh -c echo a b")]
    [InlineData("./build.sh && sudo artifacts/procwatch", "")]
    [InlineData("procwatch report events.json* -o report.html", "report events.json* -o report.html")]
    public void A_command_line_is_cut_from_its_shell_line(string shell, string expected)
    {
        (int _, string[] args) = Assert.Single(CommandLines([shell]));
        Assert.Equal(expected, string.Join(' ', args));
    }

    [Theory]
    [InlineData("procwatch: ready (connector)")] // output, not a command
    [InlineData("the procwatch binary")]
    [InlineData("procwatch doctor: vm, Linux 6.18.44, as root")]
    public void Prose_and_output_are_not_command_lines(string text) => Assert.Empty(CommandLines([text]));

    /// <summary>The arguments after each `procwatch` command word in fenced code blocks, with the line number.</summary>
    internal static IEnumerable<(int Line, string[] Args)> CommandLines(IReadOnlyList<string> lines)
    {
        bool inBlock = lines.Count == 1; // a single line (the unit tests) is its own block
        for (int i = 0; i < lines.Count; i++)
        {
            string text = lines[i];
            if (text.TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                inBlock = !inBlock;
                continue;
            }
            if (!inBlock)
                continue;
            foreach (List<string> command in Commands(text))
            {
                int at = command.FindIndex(w => w == "procwatch" || w.EndsWith("/procwatch", StringComparison.Ordinal));
                // The command word: first, or after sudo / env assignments.
                if (at < 0 || command.Take(at).Any(w => w != "sudo" && w != "$" && !w.Contains('=', StringComparison.Ordinal)))
                    continue;
                if (at + 1 < command.Count && command[at + 1].EndsWith(':'))
                    continue; // output, such as "procwatch doctor: vm, Linux 6.18"
                yield return (i + 1, [.. command.Skip(at + 1)]);
            }
        }
    }

    /// <summary>Shell words of each simple command on the line: quotes removed, cut at | ; & && > &lt; and a # comment.</summary>
    private static IEnumerable<List<string>> Commands(string line)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        bool inWord = false, redirect = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (c is '\'' or '"')
            {
                int end = line.IndexOf(c, i + 1);
                if (end < 0) end = line.Length;
                word.Append(line.AsSpan(i + 1, end - i - 1));
                inWord = true;
                i = end;
            }
            else if (c == '\\' && i + 1 < line.Length)
            {
                word.Append(line[++i]);
                inWord = true;
            }
            else if (char.IsWhiteSpace(c) || c is '|' or ';' or '&' or '>' or '<' || (c == '#' && !inWord))
            {
                bool fd = c is '>' or '<' && inWord && word.ToString().All(char.IsAsciiDigit); // the 2 of 2>&1
                if (inWord && !redirect && !fd)
                    words.Add(word.ToString());
                else if (inWord && redirect)
                    redirect = false; // the redirection's target is not an argument
                word.Clear();
                inWord = false;
                if (c == '#')
                    break;
                if (c is '>' or '<')
                {
                    redirect = true;
                    if (i + 1 < line.Length && line[i + 1] == '&')
                        i++; // >&1: a descriptor, not a background &
                    continue;
                }
                if (c is '|' or ';' or '&')
                {
                    if (words.Count > 0) yield return words;
                    words = [];
                }
            }
            else
            {
                word.Append(c);
                inWord = true;
            }
        }
        if (inWord && !redirect)
            words.Add(word.ToString());
        if (words.Count > 0)
            yield return words;
    }

    private static string RepositoryRoot()
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (File.Exists(Path.Combine(dir, "ProcWatch.slnx")))
                return dir;
        }
        throw new InvalidOperationException("ProcWatch.slnx not found above " + AppContext.BaseDirectory);
    }
}
