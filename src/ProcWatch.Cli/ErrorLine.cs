using ProcWatch.Text;

namespace ProcWatch.Cli;

/// <summary>
/// procwatch's own one-line messages on standard error. They often repeat a value the user
/// (or an attacker who chose a file name or a command) gave: escaped as event data is on a
/// terminal, so no escape sequence in it reaches the terminal raw.
/// </summary>
internal static class ErrorLine
{
    public static string Format(string message) => "procwatch: " + TerminalText.Escape(message);

    public static void Write(string message) => Console.Error.WriteLine(Format(message));
}
