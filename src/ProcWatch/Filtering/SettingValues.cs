using System.Globalization;
using ProcWatch.Events;
using ProcWatch.Kernel.Accounts;

namespace ProcWatch.Filtering;

/// <summary>
/// The one parser of event kinds, backends and users, shared by the CLI's flags and the
/// daemon's config so both accept the same words and say the same thing when they do not.
/// Each returns false with <c>error</c> set (one line, without the flag or key it came from,
/// which the caller prefixes); nothing throws.
/// </summary>
internal static class SettingValues
{
    /// <summary>The words <see cref="TryAddKinds"/> accepts, as the error messages list them.</summary>
    public const string KindWords = "fork, exec, exit, clone, comm, uid, gid, sid, ptrace, core, execfail, all";

    /// <summary>Adds the kinds of a comma-separated list (empty items are skipped) to <paramref name="kinds"/>.</summary>
    public static bool TryAddKinds(ReadOnlySpan<char> list, ref ProcessEventKinds kinds, out string? error)
    {
        foreach (Range range in list.Split(','))
        {
            ReadOnlySpan<char> name = list[range].Trim();
            if (name.IsEmpty)
                continue;
            if (!ProcessEventKindNames.TryParse(name, out ProcessEventKinds one))
            {
                error = $"unknown event '{name}' (expected {KindWords})";
                return false;
            }
            kinds |= one;
        }
        error = null;
        return true;
    }

    /// <summary>The error when a list named no kind at all.</summary>
    public const string NoKinds = "names no event";

    public static bool TryParseBackend(string value, out Backend backend, out string? error)
    {
        error = null;
        switch (value)
        {
            case "auto": backend = Backend.Auto; return true;
            case "connector": backend = Backend.Connector; return true;
            case "ebpf": backend = Backend.Ebpf; return true;
            case "procfs": backend = Backend.Procfs; return true;
        }
        backend = Backend.Auto;
        error = $"unknown backend '{value}' (expected auto, connector, ebpf, procfs)";
        return false;
    }

    /// <summary>A uid (taken as is) or a user name that must resolve on this host: a user that does not exist would match nothing, silently.</summary>
    public static bool TryParseUser(string user, out uint uid, out string? error)
    {
        error = null;
        if (user.Length == 0)
        {
            uid = 0;
            error = "needs a user name or uid (got an empty one)";
            return false;
        }
        if (uint.TryParse(user, NumberStyles.None, CultureInfo.InvariantCulture, out uid))
            return true;
        if (AccountNames.Shared.UserId(user) is uint id)
        {
            uid = id;
            return true;
        }
        error = $"no such user '{user}' on this host";
        return false;
    }
}
