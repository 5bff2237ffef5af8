using ProcWatch.Interop;

namespace ProcWatch.Kernel.Fanotify;

/// <summary>The events one read() of a fanotify group returned, one whole metadata at a time (the holder, the gate and its watchdog).</summary>
internal static class FanotifyEvents
{
    /// <summary>The event at <paramref name="at"/>, moving it to the next; false at the end or at a malformed length.</summary>
    public static unsafe bool Next(byte* buffer, nint length, ref nint at, out Libc.fanotify_event_metadata m)
    {
        m = default;
        if (at + sizeof(Libc.fanotify_event_metadata) > length)
            return false;
        m = *(Libc.fanotify_event_metadata*)(buffer + at);
        if (m.event_len < sizeof(Libc.fanotify_event_metadata))
            return false;
        at += (nint)m.event_len;
        return true;
    }
}
