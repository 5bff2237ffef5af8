using System.Text;

namespace ProcWatch.Text;

/// <summary>Argument vectors shown as one string, quoted the way a POSIX shell would read them back.</summary>
internal static class CommandLine
{
    /// <summary>Joins with spaces; an argument that is empty or holds shell-special characters is single-quoted.</summary>
    public static string Join(IReadOnlyList<string> args)
    {
        if (args.Count == 1 && !NeedsQuoting(args[0]))
            return args[0];
        var sb = new StringBuilder();
        for (int i = 0; i < args.Count; i++)
        {
            if (i > 0) sb.Append(' ');
            AppendQuoted(sb, args[i]);
        }
        return sb.ToString();
    }

    public static void AppendQuoted(StringBuilder sb, string arg)
    {
        if (!NeedsQuoting(arg))
        {
            sb.Append(arg);
            return;
        }
        sb.Append('\'');
        foreach (char c in arg)
        {
            if (c == '\'') sb.Append("'\\''");
            else sb.Append(c);
        }
        sb.Append('\'');
    }

    public static bool NeedsQuoting(string arg)
    {
        if (arg.Length == 0)
            return true;
        foreach (char c in arg)
        {
            bool plain = char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/' or ',' or ':' or '=' or '+' or '@' or '%' || c >= 0x80;
            if (!plain)
                return true;
        }
        return false;
    }
}
