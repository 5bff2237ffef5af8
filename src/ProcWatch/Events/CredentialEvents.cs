namespace ProcWatch.Events;

/// <summary>The real and effective user id changed (setuid family).</summary>
public sealed record UidEvent : ProcessEvent
{
    public override ProcessEventKind Kind => ProcessEventKind.Uid;
    public required uint RealUid { get; init; }
    public required uint EffectiveUid { get; init; }
}

/// <summary>The real and effective group id changed (setgid family).</summary>
public sealed record GidEvent : ProcessEvent
{
    public override ProcessEventKind Kind => ProcessEventKind.Gid;
    public required uint RealGid { get; init; }
    public required uint EffectiveGid { get; init; }
}

/// <summary>The process became a session leader (setsid); the new session id is its pid.</summary>
public sealed record SidEvent : ProcessEvent
{
    public override ProcessEventKind Kind => ProcessEventKind.Sid;
}
