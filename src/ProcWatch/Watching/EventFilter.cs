using System.Text.RegularExpressions;
using ProcWatch.Filtering;
using ProcWatch.Text;

namespace ProcWatch;

/// <summary>
/// Which events a callback wants (<see cref="ProcessWatcher.On(EventFilter, Func{ProcessEvent, CancellationToken, ValueTask}, int)"/>):
/// every given condition must hold. Cheap to test: it runs on the receive path, so put the
/// cheap conditions (kinds, pid, name, executable) in and the predicate last.
/// </summary>
/// <example>
/// <code>
/// var curl = new EventFilter { Kinds = ProcessEventKinds.Exec, Executable = "/usr/bin/curl" };
/// var python = new EventFilter { Name = "python3*", Args = "/-m http\\.server/" };
/// </code>
/// </example>
public sealed record EventFilter
{
    private readonly string? _executable;
    private readonly string? _executableResolved;
    private readonly string? _args;
    private readonly Regex? _argsRegex;

    /// <summary>Only events of this process (its pid).</summary>
    public int? Pid { get; init; }

    /// <summary>
    /// Only processes with this name, a glob (<c>*</c>, <c>?</c>; exact without wildcards):
    /// the kernel's comm (at most 15 bytes) or the executable's file name.
    /// </summary>
    public string? Name { get; init; }

    /// <summary>
    /// Only processes running this program: a glob over the absolute path
    /// (<c>/usr/bin/curl</c>, <c>/opt/*/bin/*</c>). A path without wildcards also matches the
    /// file it resolves to, so <c>/usr/bin/python3</c> matches whether
    /// <see cref="ProcessInfo.Executable"/> is the execve path or the resolved one.
    /// </summary>
    public string? Executable
    {
        get => _executable;
        init
        {
            _executable = value;
            _executableResolved = value is null ? null : ResolveLiteral(value);
        }
    }

    /// <summary>
    /// Only processes whose command line (argv joined with spaces, shell-quoted where needed)
    /// contains this text, or matches it as <c>/regex/</c> (<c>/regex/i</c> ignores case; linear
    /// time whatever the input). Processes whose argv is not known do not match.
    /// </summary>
    /// <exception cref="ArgumentException">The regex does not compile.</exception>
    public string? Args
    {
        get => _args;
        init
        {
            _args = value;
            _argsRegex = value is null ? null : ArgsRegex(value);
        }
    }

    /// <summary>Any other condition, tested after all the others; it must be quick and must not throw.</summary>
    public Func<ProcessEvent, bool>? Predicate { get; init; }

    /// <summary>Only these kinds (default: all, losses included).</summary>
    public ProcessEventKinds Kinds { get; init; } = ProcessEventKinds.All | ProcessEventKinds.Lost;

    /// <summary>True when <paramref name="e"/> meets every condition given.</summary>
    /// <param name="e">The event to test.</param>
    public bool Matches(ProcessEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (!Kinds.Contains(e.Kind))
            return false;
        if (Pid is { } pid && e.Pid != pid)
            return false;
        if (Name is { } name && !ProcessMatching.NameMatches(e, name))
            return false;
        if (_executable is { } exe && !ExecutableMatches(e.Process?.Executable, exe))
            return false;
        if (_args is { } args && (e.Process?.Args is not { } argv || !ArgsMatch(args, CommandLine.Join(argv))))
            return false;
        return Predicate is not { } predicate || predicate(e);
    }

    private bool ArgsMatch(string args, string commandLine) =>
        _argsRegex?.IsMatch(commandLine) ?? commandLine.Contains(args, StringComparison.Ordinal);

    /// <summary><c>/regex/</c> or <c>/regex/i</c> (the daemon rules' syntax), with the linear-time engine: argv is attacker-controlled.</summary>
    private static Regex? ArgsRegex(string text)
    {
        bool ignoreCase = text.Length >= 3 && text[0] == '/' && text.EndsWith("/i", StringComparison.Ordinal);
        if (text.Length < 2 || text[0] != '/' || (text[^1] != '/' && !ignoreCase))
            return null;
        RegexOptions options = RegexOptions.CultureInvariant | RegexOptions.NonBacktracking | (ignoreCase ? RegexOptions.IgnoreCase : 0);
        return new Regex(text[1..(ignoreCase ? ^2 : ^1)], options);
    }

    private bool ExecutableMatches(string? executable, string pattern) =>
        ProcessMatching.Glob(pattern, executable)
        || (_executableResolved is { } resolved && string.Equals(resolved, executable, StringComparison.Ordinal));

    /// <summary>The final target of a literal path (no wildcards) when it is a symlink; else null.</summary>
    private static string? ResolveLiteral(string path)
    {
        if (path.AsSpan().IndexOfAny('*', '?') >= 0 || !Path.IsPathFullyQualified(path))
            return null;
        try
        {
            return File.ResolveLinkTarget(path, returnFinalTarget: true)?.FullName;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
