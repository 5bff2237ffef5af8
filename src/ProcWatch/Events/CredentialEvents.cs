namespace ProcWatch;

/// <summary>The real and effective user id changed (setuid family).</summary>
public sealed record UidEvent : ProcessEvent
{
    /// <summary>Always <see cref="ProcessEventKind.Uid"/>.</summary>
    public override ProcessEventKind Kind => ProcessEventKind.Uid;
    /// <summary>The new real user id.</summary>
    public required uint RealUid { get; init; }
    /// <summary>The new effective user id.</summary>
    public required uint EffectiveUid { get; init; }
}

/// <summary>The real and effective group id changed (setgid family).</summary>
public sealed record GidEvent : ProcessEvent
{
    /// <summary>Always <see cref="ProcessEventKind.Gid"/>.</summary>
    public override ProcessEventKind Kind => ProcessEventKind.Gid;
    /// <summary>The new real group id.</summary>
    public required uint RealGid { get; init; }
    /// <summary>The new effective group id.</summary>
    public required uint EffectiveGid { get; init; }
}

/// <summary>The process became a session leader (setsid); the new session id is its pid.</summary>
public sealed record SidEvent : ProcessEvent
{
    /// <summary>Always <see cref="ProcessEventKind.Sid"/>.</summary>
    public override ProcessEventKind Kind => ProcessEventKind.Sid;
}
