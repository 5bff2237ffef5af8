using System.IO.Enumeration;

namespace ProcWatch.Filtering;

/// <summary>
/// The one matching semantic of every filter and rule (<see cref="EventFilter"/>, the CLI's
/// <c>-u</c>, the daemon's rules), so that "name", "user" and "executable" mean the same
/// everywhere (docs/ARCHITECTURE.md, "Matching"):
/// <list type="bullet">
/// <item>names and paths are globs (<c>*</c>, <c>?</c>; ordinal, case-sensitive): a pattern
/// without wildcards is an exact match;</item>
/// <item>a name matches the kernel's comm (the new comm of a rename) or the executable's file
/// name (comm is cut at 15 bytes);</item>
/// <item>a user matches the real or the effective uid (a setuid program runs "as" both), by
/// id or by name.</item>
/// </list>
/// Allocation-free: these run on the receive path.
/// </summary>
internal static class ProcessMatching
{
    /// <summary>A glob over the whole value; null never matches.</summary>
    public static bool Glob(string pattern, string? value) =>
        value is not null && FileSystemName.MatchesSimpleExpression(pattern, value, ignoreCase: false);

    /// <summary>A glob over the whole value; an empty span never matches.</summary>
    public static bool Glob(string pattern, ReadOnlySpan<char> value) =>
        !value.IsEmpty && FileSystemName.MatchesSimpleExpression(pattern, value, ignoreCase: false);

    /// <summary>The comm (a rename's new comm) or the executable's file name matches the glob.</summary>
    public static bool NameMatches(ProcessEvent e, string pattern)
    {
        if (e is CommEvent comm && Glob(pattern, comm.Comm))
            return true;
        ProcessInfo? p = e.Process;
        if (p is null)
            return false;
        return Glob(pattern, p.Name) || (p.Executable is { } exe && Glob(pattern, Path.GetFileName(exe.AsSpan())));
    }

    /// <summary>The real or the effective user is <paramref name="id"/> (when given) and is named <paramref name="name"/> (when given).</summary>
    public static bool UserMatches(ProcessInfo? p, uint? id, string? name)
    {
        if (p is null)
            return false;
        return Is(p.User, id, name) || Is(p.EffectiveUser, id, name);

        static bool Is(IdName? user, uint? id, string? name) =>
            user is { } u && (id is null || u.Id == id) && (name is null || string.Equals(u.Name, name, StringComparison.Ordinal));
    }
}
