using System.CommandLine;

namespace ProcWatch.Cli;

/// <summary>"did you mean --format?" for a mistyped option: the closest name the command takes.</summary>
internal static class OptionSuggestion
{
    /// <summary>The option of <paramref name="command"/> nearest to <paramref name="token"/>, or null when none is close (at most 2 edits, a transposition being 1).</summary>
    public static string? For(Command command, string token)
    {
        if (!token.StartsWith('-'))
            return null;
        string? best = null;
        int bestDistance = int.MaxValue;
        for (Command? c = command; c is not null; c = c.Parents.OfType<Command>().FirstOrDefault())
        {
            foreach (Option option in c.Options)
            {
                if (c != command && !option.Recursive)
                    continue;
                foreach (string name in option.Aliases.Append(option.Name))
                {
                    if (token.StartsWith("--", StringComparison.Ordinal) && !name.StartsWith("--", StringComparison.Ordinal))
                        continue; // a long name for a long token
                    int distance = Distance(token, name);
                    if (distance < bestDistance)
                        (best, bestDistance) = (name, distance);
                }
            }
        }
        return bestDistance <= Math.Min(2, token.Length / 3) ? best : null;
    }

    /// <summary>Edit distance with adjacent transpositions (optimal string alignment).</summary>
    internal static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        }
        return d[a.Length, b.Length];
    }
}
