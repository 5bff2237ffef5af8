using System.Security.Cryptography;
using ProcWatch.Events;
using ProcWatch.Interop;
using ProcWatch.Tracking;
using Xunit;

namespace ProcWatch.Tests.Tracking;

/// <summary>The hasher on real files: digest equal to sha256sum's, a new version re-hashed, the reasons when not.</summary>
public sealed class ExecutableHasherTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("pw-hash-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static ExecutableVersion VersionOf(string path)
    {
        int fd = Libc.Open(path, Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
        Assert.True(fd >= 0);
        try
        {
            Assert.True(FileVersion.TryRead(fd, out ExecutableVersion v, out bool regular));
            Assert.True(regular);
            return v;
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    private static string Sha256Sum(string path)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("sha256sum", [path]) { RedirectStandardOutput = true };
        using var p = System.Diagnostics.Process.Start(psi)!;
        string line = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return line.Split(' ')[0];
    }

    [Fact]
    public void A_small_file_is_hashed_on_the_exec_itself_and_a_new_version_again()
    {
        string exe = Path.Combine(_dir, "prog");
        File.Copy("/bin/true", exe);
        var hasher = new ExecutableHasher(new HashOptions());
        (string? first, string? status) = hasher.Lookup(Environment.ProcessId, exe, VersionOf(exe), false, false, "entity");
        Assert.Null(status);
        Assert.Equal(Sha256Sum(exe), first);
        Assert.Equal(1, hasher.HashedInlineCount);

        File.AppendAllText(exe, "tail"); // new size and mtime: a new version
        (string? second, _) = hasher.Lookup(Environment.ProcessId, exe, VersionOf(exe), false, false, "entity");
        Assert.Equal(Sha256Sum(exe), second);
        Assert.NotEqual(first, second);
    }

    [Fact]
    public void A_file_over_the_inline_bound_says_pending_and_every_waiting_exec_gets_a_follow_up()
    {
        string exe = Path.Combine(_dir, "large");
        File.Copy("/bin/true", exe);
        var followUps = new List<(HashWaiter Waiter, string? Sha256)>();
        var hasher = new ExecutableHasher(new HashOptions { InlineMaxBytes = 0 });
        hasher.FollowUp = (w, sha, _) => { lock (followUps) followUps.Add((w, sha)); };
        ExecutableVersion v = VersionOf(exe);
        Assert.Equal((null, HashStatuses.Pending), hasher.Lookup(Environment.ProcessId, exe, v, false, false, "first"));
        (string? sha, string? status) = hasher.Lookup(Environment.ProcessId, exe, v, false, false, "second");
        Assert.True(hasher.WaitIdle(TimeSpan.FromSeconds(10)));
        string expected = Sha256Sum(exe);
        lock (followUps)
        {
            // The second exec came while the worker hashed (a follow-up too) or after (the hash at once).
            Assert.Contains(followUps, f => f.Waiter.EntityId == "first" && f.Sha256 == expected);
            if (status == HashStatuses.Pending)
                Assert.Contains(followUps, f => f.Waiter.EntityId == "second" && f.Sha256 == expected);
            else
                Assert.Equal(expected, sha);
        }
        Assert.Equal((expected, null), hasher.Lookup(Environment.ProcessId, exe, v, false, false, "third"));
    }

    [Fact]
    public void NotHashed_SaysWhy()
    {
        string exe = Path.Combine(_dir, "big");
        File.Copy("/bin/true", exe);
        ExecutableVersion v = VersionOf(exe);
        var hasher = new ExecutableHasher(new HashOptions { MaxBytes = 1024 });
        Assert.Equal((null, HashStatuses.TooLarge), hasher.Lookup(1, exe, v, false, false));
        var small = new ExecutableHasher(new HashOptions());
        // Unlinked, and pid 1's /proc/PID/exe is another file: nothing is that version any more.
        Assert.Equal((null, HashStatuses.Deleted), small.Lookup(1, exe, v, deleted: true, memfd: false));
        Assert.Equal((null, HashStatuses.Memfd), small.Lookup(1, exe, v, deleted: true, memfd: true));
        Assert.Equal((null, HashStatuses.Unavailable), small.Lookup(1, exe, null, false, false));

        // The file changed between the exec (the version the kernel saw) and the read.
        ExecutableVersion stale = v with { MtimeNs = v.MtimeNs - 1 };
        Assert.Equal((null, HashStatuses.Changed), small.Lookup(Environment.ProcessId, exe, stale, false, false));

        // Another file at the path (and /proc/self/exe is not it either).
        ExecutableVersion other = v with { Inode = v.Inode + 1 };
        Assert.Equal((null, HashStatuses.Unreadable), small.Lookup(Environment.ProcessId, exe, other, false, false));
    }

    [Fact]
    public void Cache_IsBounded_UnderAStormOfDistinctFiles()
    {
        var cache = new ExecutableHashCache(64);
        for (ulong ino = 1; ino <= 10_000; ino++)
            cache.AddPending(new ExecutableVersion(1, ino, 10, 1, 1));
        Assert.Equal(64, cache.Count);
        Assert.Equal(10_000 - 64, cache.Evictions);
        Assert.True(cache.TryGet(new ExecutableVersion(1, 10_000, 10, 1, 1), out _, out _));
        Assert.False(cache.TryGet(new ExecutableVersion(1, 1, 10, 1, 1), out _, out _));
    }

    [Fact]
    public void Queue_IsBounded_AndCountsWhatItTurnsAway()
    {
        var hasher = new ExecutableHasher(new HashOptions { QueueCapacity = 2, InlineMaxBytes = 0 });
        // The worker is held in its first follow-up, so the queue fills whatever the machine's
        // speed (the test once relied on writing files being faster than hashing them, and a
        // fast worker on a clean clone drained the queue as fast as the loop filled it).
        using var release = new ManualResetEventSlim(false);
        hasher.FollowUp = (_, _, _) => release.Wait(TimeSpan.FromSeconds(30));
        byte[] content = new byte[4096];
        int full = 0, pending = 0;
        for (int i = 0; i < 100; i++)
        {
            // Distinct files, each a new version.
            string path = Path.Combine(_dir, "f" + i);
            content[0] = (byte)i;
            File.WriteAllBytes(path, content);
            string? status = hasher.Lookup(Environment.ProcessId, path, VersionOf(path), false, false, "e" + i).Status;
            if (status == HashStatuses.QueueFull)
                full++;
            else if (status == HashStatuses.Pending)
                pending++;
        }
        // At most the job the worker holds plus a full queue were taken; every other one is counted.
        Assert.InRange(pending, 2, 3);
        Assert.Equal(100 - pending, full);
        Assert.Equal(full, hasher.QueueFullCount);
        release.Set();
        Assert.True(hasher.WaitIdle(TimeSpan.FromSeconds(30)));
    }

    /// <summary>
    /// A file gone before the pipeline looked waits for the exec-file holder's descriptor: the
    /// holder hands it over whenever it reads it (here 3 s late: a wall-clock wait of 2 s lost
    /// 2 of 100 droppers on a loaded CI machine), and the wait ends at once when the holder has
    /// read past the exec without it.
    /// </summary>
    [Fact]
    public void AFileGoneBeforeTheLookup_WaitsForTheHolder_UntilItHandsItOverOrHasReadPastTheExec()
    {
        // No cap within the test's patience: only the hand-over and the holder's read-through can end a wait.
        var hasher = new ExecutableHasher(new HashOptions { HeldWaitCap = TimeSpan.FromMinutes(10) });
        var followUps = new System.Collections.Concurrent.BlockingCollection<(string Entity, string? Sha, string? Status)>();
        hasher.FollowUp = (w, sha, status) => followUps.Add((w.EntityId!, sha, status));
        bool readPast = false;
        hasher.HeldFiles = _ => null;
        hasher.HeldReadThrough = ns => Volatile.Read(ref readPast);

        string late = Path.Combine(_dir, "late");
        File.WriteAllBytes(late, [1, 2, 3, 4]);
        ExecutableVersion lateVersion = VersionOf(late);
        string sha = Sha256Sum(late);
        var held = File.OpenHandle(late);
        File.Delete(late);
        Assert.Equal(HashStatuses.Pending, hasher.Lookup(int.MaxValue, late, lateVersion, deleted: true, memfd: false, "late", execNs: 1).Status);
        Thread.Sleep(3000); // the holder's thread runs late
        Assert.True(hasher.OfferHeld(lateVersion, held));
        Assert.True(followUps.TryTake(out var first, TimeSpan.FromSeconds(30)));
        Assert.Equal(("late", sha, (string?)null), first);

        string never = Path.Combine(_dir, "never");
        File.WriteAllBytes(never, [5, 6, 7]);
        ExecutableVersion neverVersion = VersionOf(never);
        File.Delete(never);
        Assert.Equal(HashStatuses.Pending, hasher.Lookup(int.MaxValue, never, neverVersion, deleted: true, memfd: false, "never", execNs: 1).Status);
        Volatile.Write(ref readPast, true); // the holder read its queue past the exec: no descriptor is coming
        Assert.True(followUps.TryTake(out var second, TimeSpan.FromSeconds(30)));
        Assert.Equal("never", second.Entity);
        Assert.Null(second.Sha);
        Assert.Equal(HashStatuses.Deleted, second.Status);
        using var stray = File.OpenHandle(Path.Combine(_dir, "stray"), FileMode.Create, FileAccess.ReadWrite);
        Assert.False(hasher.OfferHeld(neverVersion, stray)); // the job gave up: an offer after it is not taken
    }

    [Fact]
    public void Waiters_for_one_pending_version_are_bounded()
    {
        var cache = new ExecutableHashCache(16, maxWaiters: 3);
        var v = new ExecutableVersion(1, 1, 10, 1, 1);
        cache.AddPending(v, new HashWaiter(1, "a", HashTarget.Executable, null));
        Assert.Equal(CacheProbe.Waiting, cache.Probe(v, new HashWaiter(2, "b", HashTarget.Executable, null), out _));
        Assert.Equal(CacheProbe.Waiting, cache.Probe(v, new HashWaiter(3, "c", HashTarget.Executable, null), out _));
        Assert.Equal(CacheProbe.Full, cache.Probe(v, new HashWaiter(4, "d", HashTarget.Executable, null), out _));
        Assert.Equal(3, cache.Complete(v, new string('0', 64))!.Count);
        Assert.Equal(CacheProbe.Hashed, cache.Probe(v, new HashWaiter(5, "e", HashTarget.Executable, null), out string? sha));
        Assert.Equal(new string('0', 64), sha);
    }
}
