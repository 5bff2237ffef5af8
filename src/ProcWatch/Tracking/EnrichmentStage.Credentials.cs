using ProcWatch.Events;
using ProcWatch.Kernel.Ebpf;

namespace ProcWatch.Tracking;

/// <summary>Credentials changed without an exec (setuid(), setgid()): the ring's fork and exit records say them.</summary>
internal sealed partial class EnrichmentStage
{
    /// <summary>
    /// <paramref name="info"/> with the uid and gid a fork or exit record caught, where they
    /// differ. A process that called setuid() and no exec has the connector's uid event for it,
    /// but that comes through another buffer than the ring and may be posted after the ring's
    /// later fork and exit records: only the record itself says whose a fork or an exit is
    /// (for <c>-u</c>, and for the user the event shows).
    /// </summary>
    private ProcessInfo WithIds(ProcessInfo info, TaskIds? ids)
    {
        if (ids is not { } k
            || (info.User?.Id == k.Uid && info.EffectiveUser?.Id == k.EffectiveUid && info.Group?.Id == k.Gid && info.EffectiveGroup?.Id == k.EffectiveGid))
            return info;
        return info with
        {
            User = _reader.UserOf(k.Uid), EffectiveUser = _reader.UserOf(k.EffectiveUid),
            Group = _reader.GroupOf(k.Gid), EffectiveGroup = _reader.GroupOf(k.EffectiveGid),
        };
    }

    /// <summary>The entry's credentials set to those of an exit record (no change: nothing done).</summary>
    private void TakeIds(ProcessEntry entry, TaskIds? ids)
    {
        ProcessInfo updated = WithIds(entry.Info, ids);
        if (!ReferenceEquals(updated, entry.Info))
            entry.Update(updated);
    }
}
