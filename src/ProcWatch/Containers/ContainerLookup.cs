namespace ProcWatch.Containers;

/// <summary>What asking one runtime about one container gave.</summary>
internal enum LookupOutcome
{
    /// <summary>The runtime described the container.</summary>
    Found,
    /// <summary>The runtime is here but does not know the id (another runtime's, or gone).</summary>
    NotFound,
    /// <summary>The runtime is not installed or not running here: skipped without a word.</summary>
    Absent,
    /// <summary>The runtime is here but could not be read: one warning, with <see cref="ContainerLookup.Reason"/>.</summary>
    Failed,
}

internal readonly record struct ContainerLookup(LookupOutcome Outcome, ContainerIdentity? Identity = null, string? Reason = null)
{
    public static ContainerLookup Found(ContainerIdentity identity) => new(LookupOutcome.Found, identity);
    public static readonly ContainerLookup NotFound = new(LookupOutcome.NotFound);
    public static readonly ContainerLookup Absent = new(LookupOutcome.Absent);
    public static ContainerLookup Failed(string reason) => new(LookupOutcome.Failed, null, reason);
}

/// <summary>One runtime's reader: asked on the resolver's thread, never on the event path.</summary>
internal interface IContainerRuntimeReader
{
    /// <summary>The runtime's name as events carry it (<c>container.runtime</c>).</summary>
    string Runtime { get; }

    /// <summary>Where it reads from, for warnings and <c>procwatch doctor</c>.</summary>
    string Source { get; }

    /// <summary>Whether the runtime is installed here and readable; the reason when not.</summary>
    (bool Present, bool Readable, string Detail) Probe();

    ContainerLookup Read(string id, string? containerdNamespace);
}
