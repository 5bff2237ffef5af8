using System.Diagnostics;
using ProcWatch.Events;

namespace ProcWatch.Daemon.Flood;

/// <summary>What <see cref="UserFloodGuard.Admit"/> decided for one event.</summary>
internal enum FloodVerdict
{
    /// <summary>Written as it is.</summary>
    Whole,
    /// <summary>Its user is flooding: written with its arguments cut (the event says how many bytes).</summary>
    Cut,
    /// <summary>Cut, and the first of this user's window: raise the flood alert.</summary>
    CutAndAlert,
}

/// <summary>
/// Counts, per user (real uid) and per minute, the bytes each event adds to the record. A user
/// past <see cref="FloodSettings.BytesPerMinute"/> is flooding: the first such event raises one
/// alert naming the user, and until the minute ends that user's events keep only
/// <see cref="FloodSettings.ArgvKeptBytes"/> of their arguments (and of their parent's),
/// marked <c>procwatch.flood_cut_bytes</c> and counted. Rules still see the whole event: only
/// what is written is cut. The table is bounded (<see cref="FloodSettings.MaxUsers"/>; past it,
/// expired windows are dropped and then new uids share one bucket). Consumer thread only.
/// </summary>
internal sealed class UserFloodGuard
{
    /// <summary>What an event costs besides its strings: the rest of an ECS line.</summary>
    private const int FixedCost = 600;
    private const uint SharedBucket = uint.MaxValue;
    private static readonly long WindowTicks = Stopwatch.Frequency * 60;
    private readonly FloodSettings _settings;
    private readonly Dictionary<uint, UserWindow> _users = new();
    private readonly Func<long> _now;
    private long _alerts;
    private long _cutEvents;
    private long _cutBytes;

    public UserFloodGuard(FloodSettings settings, Func<long>? now = null)
    {
        _settings = settings;
        _now = now ?? Stopwatch.GetTimestamp;
    }

    private sealed class UserWindow
    {
        public long Start;
        public long Bytes;
        public bool Flooding;
    }

    public long Alerts => Interlocked.Read(ref _alerts);
    public long CutEvents => Interlocked.Read(ref _cutEvents);
    public long CutBytes => Interlocked.Read(ref _cutBytes);

    /// <summary>Users tracked now (tests: the table stays bounded).</summary>
    internal int TrackedUsers => _users.Count;

    /// <param name="written">The event to write: <paramref name="e"/>, or a copy with its arguments cut.</param>
    /// <param name="window">The user's bytes so far this minute (for the alert).</param>
    public FloodVerdict Admit(ProcessEvent e, out ProcessEvent written, out long window)
    {
        written = e;
        window = 0;
        if (_settings.BytesPerMinute <= 0 || e.Process is not { } p)
            return FloodVerdict.Whole;
        long cost = FixedCost + Length(p.Args) + (p.Executable?.Length ?? 0) + Length(p.Parent?.Args);
        UserWindow user = Window(p.User?.Id ?? SharedBucket);
        user.Bytes += cost;
        window = user.Bytes;
        if (!user.Flooding && user.Bytes <= _settings.BytesPerMinute)
            return FloodVerdict.Whole;
        bool first = !user.Flooding;
        user.Flooding = true;
        if (first)
            Interlocked.Increment(ref _alerts);
        int cut = Cut(p, out ProcessInfo kept);
        if (cut > 0)
        {
            written = e with { Process = kept, FloodCutBytes = cut };
            Interlocked.Increment(ref _cutEvents);
            Interlocked.Add(ref _cutBytes, cut);
        }
        return first ? FloodVerdict.CutAndAlert : FloodVerdict.Cut;
    }

    private UserWindow Window(uint uid)
    {
        long now = _now();
        if (!_users.TryGetValue(uid, out UserWindow? user))
        {
            if (_users.Count >= _settings.MaxUsers)
                DropExpired(now);
            if (_users.Count >= _settings.MaxUsers)
                uid = SharedBucket;
            if (!_users.TryGetValue(uid, out user))
            {
                user = new UserWindow { Start = now };
                _users[uid] = user;
            }
        }
        if (now - user.Start >= WindowTicks)
        {
            user.Start = now;
            user.Bytes = 0;
            user.Flooding = false;
        }
        return user;
    }

    private void DropExpired(long now)
    {
        foreach (KeyValuePair<uint, UserWindow> entry in _users)
        {
            if (now - entry.Value.Start >= WindowTicks)
                _users.Remove(entry.Key); // allowed while enumerating (.NET Core 3+)
        }
    }

    /// <summary>The process with its arguments and its parent's kept to the budget; the bytes cut.</summary>
    private int Cut(ProcessInfo p, out ProcessInfo kept)
    {
        kept = p;
        int cut = 0;
        if (Keep(p.Args, out IReadOnlyList<string>? args, ref cut))
            kept = kept with { Args = args, ArgsTruncated = true, ArgsCount = p.ArgsCount ?? p.Args!.Count };
        if (p.Parent is { } parent && Keep(parent.Args, out IReadOnlyList<string>? parentArgs, ref cut))
            kept = kept with { Parent = parent with { Args = parentArgs } };
        return cut;
    }

    private bool Keep(IReadOnlyList<string>? args, out IReadOnlyList<string>? kept, ref int cut)
    {
        kept = args;
        if (args is null || Length(args) <= _settings.ArgvKeptBytes)
            return false;
        var list = new List<string>();
        int budget = _settings.ArgvKeptBytes;
        foreach (string arg in args)
        {
            if (budget <= 0)
            {
                cut += arg.Length;
                continue;
            }
            string part = arg.Length <= budget ? arg : arg[..budget];
            cut += arg.Length - part.Length;
            budget -= part.Length;
            list.Add(part);
        }
        kept = list;
        return true;
    }

    private static int Length(IReadOnlyList<string>? args)
    {
        if (args is null)
            return 0;
        int n = 0;
        foreach (string arg in args)
            n += arg.Length + 1;
        return n;
    }
}
