using System.Globalization;
using ProcWatch.Events;
using ProcWatch.Text;

namespace ProcWatch.Rules;

/// <summary>
/// The PROCWATCH_* variables an <c>exec</c> action gets: the rule and the event's main
/// facts, as plain values (never interpreted by a shell; the action chooses what to do).
/// The JSON on stdin is the lossless form; here invalid UTF-8 becomes U+FFFD.
/// </summary>
internal static class ActionEnvironment
{
    public static IReadOnlyList<KeyValuePair<string, string>> Build(ProcessEvent e, CompiledRule rule)
    {
        var vars = new List<KeyValuePair<string, string>>(12)
        {
            new("PROCWATCH_RULE", rule.Name),
            new("PROCWATCH_SEVERITY", rule.Severity.Name()),
            new("PROCWATCH_EVENT", e.Kind.Name()),
            new("PROCWATCH_PID", e.Pid.ToString(CultureInfo.InvariantCulture)),
            new("PROCWATCH_TIMESTAMP", e.Timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture)),
        };
        ProcessInfo? p = e.Process;
        int? ppid = p?.ParentPid ?? (e as ForkEvent)?.ParentPid ?? (e is ExitEvent { ParentPid: > 0 } x ? x.ParentPid : null);
        if (ppid is { } parent) vars.Add(new("PROCWATCH_PPID", parent.ToString(CultureInfo.InvariantCulture)));
        if (p?.Name is { } name) vars.Add(new("PROCWATCH_NAME", Clean(name)));
        if (p?.Executable is { } exe) vars.Add(new("PROCWATCH_EXECUTABLE", Clean(exe)));
        if (p?.Args is { } args)
        {
            vars.Add(new("PROCWATCH_COMMAND_LINE", Clean(CommandLine.Join(args))));
            vars.Add(new("PROCWATCH_ARGS_COUNT", args.Count.ToString(CultureInfo.InvariantCulture)));
        }
        if ((p?.EffectiveUser ?? p?.User) is { } user)
        {
            vars.Add(new("PROCWATCH_UID", user.Id.ToString(CultureInfo.InvariantCulture)));
            if (user.Name is not null) vars.Add(new("PROCWATCH_USER", Clean(user.Name)));
        }
        if (p?.Parent?.Executable is { } parentExe) vars.Add(new("PROCWATCH_PARENT_EXECUTABLE", Clean(parentExe)));
        return vars;
    }

    // An environment string cannot hold NUL; lone surrogates (escaped invalid bytes) become U+FFFD.
    private static string Clean(string value)
    {
        if (!value.Contains('\0') && !HasSurrogate(value))
            return value;
        return string.Create(value.Length, value, static (span, v) =>
        {
            for (int i = 0; i < v.Length; i++)
                span[i] = v[i] == '\0' || char.IsSurrogate(v[i]) ? '\uFFFD' : v[i];
        });
    }

    private static bool HasSurrogate(string value)
    {
        foreach (char c in value)
        {
            if (char.IsSurrogate(c)) return true;
        }
        return false;
    }
}
