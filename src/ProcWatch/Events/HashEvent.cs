namespace ProcWatch;

/// <summary>
/// The hash an exec could not carry (a file over the inline bound, or the inline time budget
/// spent in a storm of new files): its exec said <c>hash_status: "pending"</c>, and this
/// follow-up, joined to it by <see cref="ProcessInfo.EntityId"/>, says what the file's SHA-256
/// is, or why there is none after all. <see cref="ProcessEvent.Process"/> is the process as
/// the table knows it, with the hash filled in.
/// </summary>
public sealed record HashEvent : ProcessEvent
{
    /// <summary>Always <see cref="ProcessEventKind.Hash"/>.</summary>
    public override ProcessEventKind Kind => ProcessEventKind.Hash;

    /// <summary>Which file of the exec: "executable", "script" or "loaded_program".</summary>
    public required string Target { get; init; }

    /// <summary>The file's path, when known.</summary>
    public string? Path { get; init; }

    /// <summary>SHA-256 (lower-case hex); null when the file could not be hashed after all, see <see cref="HashStatus"/>.</summary>
    public string? Sha256 { get; init; }

    /// <summary>Why <see cref="Sha256"/> is null ("changed", "unreadable"); null when hashed.</summary>
    public string? HashStatus { get; init; }
}
