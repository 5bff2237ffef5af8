namespace ProcWatch;

/// <summary>
/// A file that ran as a program without being the process's executable: the program the
/// dynamic loader was asked to run (<c>ld-linux-x86-64.so.2 /usr/bin/curl</c>), or the script
/// an interpreter runs. The path is as the process would resolve it (relative arguments
/// joined to its working directory); null when it cannot be known (inline code).
/// </summary>
public sealed record ProgramFile
{
    /// <summary>The absolute path; null for inline code (<c>-c</c>, <c>-e</c>).</summary>
    public string? Path { get; init; }

    /// <summary>SHA-256 of the file (lower-case hex); null when not hashed, see <see cref="HashStatus"/>.</summary>
    public string? Sha256 { get; init; }

    /// <summary>Why <see cref="Sha256"/> is null (the values of <see cref="ProcessInfo.HashStatus"/>, plus "missing": no such file); null when hashed or hashing is off.</summary>
    public string? HashStatus { get; init; }
}

/// <summary>The script behind an interpreter exec (<c>procwatch.script.*</c>).</summary>
public sealed record ScriptInfo
{
    /// <summary>"shebang" (the exec'd file began with <c>#!</c>: the kernel ran its interpreter), "argument" (<c>python3 x.py</c>, <c>bash x.sh</c>, <c>java -jar x.jar</c>) or "inline" (<c>sh -c</c>, <c>python3 -c</c>, <c>perl -e</c>, <c>node -e</c>, <c>php -r</c>: no file).</summary>
    public required string Kind { get; init; }

    /// <summary>The script file, its path and hash; null for inline code.</summary>
    public ProgramFile? File { get; init; }
}

/// <summary>The values of <see cref="ScriptInfo.Kind"/> (<c>procwatch.script.type</c>).</summary>
internal static class ScriptKinds
{
    public const string Shebang = "shebang";
    public const string Argument = "argument";
    public const string Inline = "inline";
}
