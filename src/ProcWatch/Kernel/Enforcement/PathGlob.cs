using ProcWatch.Filtering;

namespace ProcWatch.Kernel.Enforcement;

/// <summary>
/// Expands a path glob over the file system, one component at a time (<c>*</c> and <c>?</c> stay
/// inside a component, as the shell's do), visiting at most a bounded number of entries: deny
/// rules resolve their executables to file identities when they load.
/// </summary>
internal static class PathGlob
{
    private const int MaxVisited = 100_000;

    internal static bool HasWildcards(string path) => path.AsSpan().IndexOfAny('*', '?') >= 0;

    /// <summary>Existing paths matching <paramref name="glob"/> (absolute), at most <paramref name="limit"/>.</summary>
    internal static List<string> Expand(string glob, int limit)
    {
        var results = new List<string>();
        if (!glob.StartsWith('/'))
            return results;
        string[] parts = glob.Split('/', StringSplitOptions.RemoveEmptyEntries);
        int visited = 0;
        Walk("/", parts, 0, results, limit, ref visited);
        return results;
    }

    private static void Walk(string dir, string[] parts, int index, List<string> results, int limit, ref int visited)
    {
        if (results.Count >= limit || visited >= MaxVisited)
            return;
        if (index == parts.Length)
        {
            results.Add(dir);
            return;
        }
        string part = parts[index];
        if (!HasWildcards(part))
        {
            string next = Path.Join(dir, part);
            visited++;
            if (index == parts.Length - 1 ? Path.Exists(next) : Directory.Exists(next))
                Walk(next, parts, index + 1, results, limit, ref visited);
            return;
        }
        IEnumerable<string> entries;
        try
        {
            entries = Directory.EnumerateFileSystemEntries(dir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return;
        }
        var sorted = new List<string>();
        foreach (string entry in entries)
        {
            if (++visited >= MaxVisited)
                break;
            if (ProcessMatching.Glob(part, Path.GetFileName(entry.AsSpan())))
                sorted.Add(entry);
        }
        sorted.Sort(StringComparer.Ordinal);
        foreach (string entry in sorted)
        {
            if (index < parts.Length - 1 && !Directory.Exists(entry))
                continue;
            Walk(entry, parts, index + 1, results, limit, ref visited);
        }
    }
}
