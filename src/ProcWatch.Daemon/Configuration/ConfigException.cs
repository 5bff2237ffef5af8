namespace ProcWatch.Daemon.Configuration;

/// <summary>An invalid configuration: one line, "FILE: line N: what is wrong".</summary>
internal sealed class ConfigException : Exception
{
    public ConfigException(string source, long line, string problem)
        : base(line > 0 ? $"{source}: line {line}: {problem}" : $"{source}: {problem}")
    {
        Line = line;
    }

    public ConfigException() { }
    public ConfigException(string message) : base(message) { }
    public ConfigException(string message, Exception inner) : base(message, inner) { }

    /// <summary>1-based line of the problem; 0 when it is about the whole file.</summary>
    public long Line { get; }
}
