namespace ProcWatch.Sigma.Rules;

/// <summary>
/// A rule that cannot be used, with where and why: <see cref="Unsupported"/> when it is valid
/// Sigma that ProcWatch cannot evaluate (a field it cannot know, a modifier it lacks), else
/// it is invalid (bad YAML, bad condition).
/// </summary>
internal sealed class SigmaRuleException : Exception
{
    public SigmaRuleException(string file, long line, string reason, bool unsupported = false)
        : base(line > 0 ? $"{file}:{line}: {reason}" : $"{file}: {reason}")
    {
        File = file;
        Line = line;
        Reason = reason;
        Unsupported = unsupported;
    }

    public SigmaRuleException() : this("", 0, "") { }
    public SigmaRuleException(string message) : this("", 0, message) { }
    public SigmaRuleException(string message, Exception inner) : base(message, inner) { File = ""; Reason = message; }

    public string File { get; }
    public long Line { get; }
    public string Reason { get; }
    public bool Unsupported { get; }
}
