using System.Collections.Concurrent;

namespace ProcWatch.Tracking;

/// <summary>
/// What /proc said of the processes that existed at start (argv, executable, cwd,
/// credentials), read once, on a thread of its own, right after the seed. The table seeds
/// them from stat alone and reads the rest at their first event (<c>LoadDetail</c>); but that
/// event is handled a ring wake-up (up to tens of milliseconds) after the kernel wrote it, and
/// a process that exited meanwhile has no argv or executable left in /proc: its fork, its exit
/// and its children's <c>process.parent</c> came out without them. This copy is the fallback.
/// <para>
/// Exact for what it keeps: a process that execs gets its exec record, which replaces its
/// entry, and one whose pid is reused does not match the start time kept here. What can change
/// without an exec (cwd, credentials) the live read gives when the process is still there.
/// Bounded: one entry per seeded process (the table's bound) and <see cref="MaxArgvBytes"/>
/// of argv in all; an entry goes when it is used or its process exits.
/// </para>
/// </summary>
internal sealed class SeedDetails
{
    /// <summary>argv bytes kept in all; the read stops beyond (the rest fall back to /proc alone).</summary>
    internal const int MaxArgvBytes = 4 << 20;

    private readonly ConcurrentDictionary<int, ProcRead> _reads = new();
    private readonly IReadOnlyList<(int Pid, ulong StartTicks)> _seeded;
    private readonly ProcessReader _reader;
    private volatile bool _done;

    private SeedDetails(IReadOnlyList<(int Pid, ulong StartTicks)> seeded, bool includeEnvironment)
    {
        _seeded = seeded;
        // A reader of its own: ProcessReader's caches are the pipeline thread's.
        _reader = new ProcessReader(includeEnvironment);
    }

    /// <summary>Starts reading <paramref name="seeded"/> (pid and stat's start ticks) in the background.</summary>
    public static SeedDetails Start(IReadOnlyList<(int Pid, ulong StartTicks)> seeded, bool includeEnvironment)
    {
        var details = new SeedDetails(seeded, includeEnvironment);
        // Normal priority: it runs while the sources load (the eBPF load takes longer), and it is
        // only useful if it reads a process before that process ends.
        new Thread(details.ReadAll) { IsBackground = true, Name = "procwatch-seed" }.Start();
        return details;
    }

    /// <summary>True once every seeded process was read (or the byte bound was reached).</summary>
    public bool Done => _done;

    /// <summary>Processes read and not yet used.</summary>
    public int Count => _reads.Count;

    private void ReadAll()
    {
        long argvBytes = 0;
        try
        {
            foreach ((int pid, ulong start) in _seeded)
            {
                if (!_reader.TryRead(pid, start, expectedIsExact: true, readArgs: true, out ProcRead read) || (read.Args is null && read.Executable is null))
                    continue;
                if (read.Args is { } args)
                {
                    foreach (string a in args)
                        argvBytes += a.Length + 1;
                }
                if (argvBytes > MaxArgvBytes)
                    break;
                _reads[pid] = read;
            }
        }
        finally
        {
            _done = true;
        }
    }

    /// <summary>The copy of process <paramref name="pid"/> started at <paramref name="startTicks"/>, removed; false: none.</summary>
    public bool TryTake(int pid, ulong startTicks, out ProcRead read) =>
        _reads.TryRemove(pid, out read) && read.Stat.StartTimeTicks == startTicks;

    /// <summary>The process ended, or its detail came from elsewhere: its copy is not needed.</summary>
    public void Forget(int pid) => _reads.TryRemove(pid, out _);
}
