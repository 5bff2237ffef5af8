using ProcWatch.Text;

namespace ProcWatch.Tests.Cli;

/// <summary>
/// procwatch on a real pseudo-terminal of a given width: util-linux `script` allocates it,
/// `stty` sizes it (TIOCSWINSZ, what a terminal emulator does), and everything procwatch
/// writes to the terminal comes back on script's standard output (with "\r\n" line ends).
/// </summary>
internal static class PseudoTerminal
{
    public static CliProcess Start(int columns, params string[] args)
    {
        string procwatch = CommandLine.Join([.. CliRunner.Command, .. args]);
        // exec: procwatch is script's child, and a signal to script's child is one to procwatch.
        string shell = $"stty cols {columns} rows 50; exec {procwatch}";
        return new CliProcess([], ["script", "--quiet", "--flush", "--return", "--command", shell, "/dev/null"]);
    }

    /// <summary>The terminal's text as lines, without carriage returns (the tty turns "\n" into "\r\n").</summary>
    public static List<string> Lines(CliProcess p) =>
        [.. p.Stdout.Replace("\r", "", StringComparison.Ordinal).Split('\n', StringSplitOptions.RemoveEmptyEntries)];

    /// <summary>Display columns of a line (one per character; procwatch escapes control characters).</summary>
    public static int Columns(string line) => line.EnumerateRunes().Count();
}
