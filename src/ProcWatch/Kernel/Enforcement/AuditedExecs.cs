using System.Collections.Concurrent;

namespace ProcWatch.Kernel.Enforcement;

/// <summary>
/// Execs the fanotify gate audited (and let go on), so that the tp_btf backstop's record of
/// the same attempt (same process, same file, judged by the same policy after the exec) is
/// not a second event: one attempt, one denial event. Bounded: past <see cref="Capacity"/>
/// the oldest half is forgotten (a backstop record then comes as a second event, never none).
/// </summary>
internal sealed class AuditedExecs
{
    internal const int Capacity = 4096;

    private readonly ConcurrentDictionary<(int Tgid, FileIdentity File), long> _seen = new();
    private long _sequence;

    /// <summary>The gate's thread.</summary>
    internal void Remember(int tgid, FileIdentity file)
    {
        if (_seen.Count >= Capacity)
        {
            long cutoff = Interlocked.Read(ref _sequence) - Capacity / 2;
            foreach (KeyValuePair<(int, FileIdentity), long> entry in _seen)
            {
                if (entry.Value < cutoff)
                    _seen.TryRemove(entry.Key, out _);
            }
        }
        _seen[(tgid, file)] = Interlocked.Increment(ref _sequence);
    }

    /// <summary>The ring's thread: true (and forgotten) when the gate reported this one.</summary>
    internal bool Forget(int tgid, FileIdentity file) => _seen.TryRemove((tgid, file), out _);
}
