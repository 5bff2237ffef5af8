using System.Security.Cryptography;
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

    private static string HashOnce(ExecutableHasher hasher, string path)
    {
        ExecutableVersion v = VersionOf(path);
        Assert.Equal((null, HashStatuses.Pending), hasher.Lookup(Environment.ProcessId, path, v, false, false));
        Assert.True(hasher.WaitIdle(TimeSpan.FromSeconds(10)));
        (string? sha, string? status) = hasher.Lookup(Environment.ProcessId, path, v, false, false);
        Assert.Null(status);
        return sha!;
    }

    [Fact]
    public void Hash_EqualsSha256sum_AndANewVersionIsHashedAgain()
    {
        string exe = Path.Combine(_dir, "prog");
        File.Copy("/bin/true", exe);
        var hasher = new ExecutableHasher(new HashOptions());
        Assert.Equal(Sha256Sum(exe), HashOnce(hasher, exe));

        File.AppendAllText(exe, "tail"); // new size and mtime: a new version
        string second = HashOnce(hasher, exe);
        Assert.Equal(Sha256Sum(exe), second);
        Assert.NotEqual(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes("/bin/true"))), second);
        Assert.Equal(1, hasher.HashedCount > 0 ? 1 : 0);
    }

    [Fact]
    public void NotHashed_SaysWhy()
    {
        string exe = Path.Combine(_dir, "big");
        File.Copy("/bin/true", exe);
        ExecutableVersion v = VersionOf(exe);
        var hasher = new ExecutableHasher(new HashOptions { MaxBytes = 1024 });
        Assert.Equal((null, HashStatuses.TooLarge), hasher.Lookup(1, exe, v, false, false));
        Assert.Equal((null, HashStatuses.Deleted), hasher.Lookup(1, exe, v, deleted: true, memfd: false));
        Assert.Equal((null, HashStatuses.Memfd), hasher.Lookup(1, exe, v, deleted: true, memfd: true));
        Assert.Equal((null, HashStatuses.Unavailable), hasher.Lookup(1, exe, null, false, false));

        // The file changed between the exec (the version the kernel saw) and the read.
        var small = new ExecutableHasher(new HashOptions());
        ExecutableVersion stale = v with { MtimeNs = v.MtimeNs - 1 };
        Assert.Equal((null, HashStatuses.Pending), small.Lookup(Environment.ProcessId, exe, stale, false, false));
        Assert.True(small.WaitIdle(TimeSpan.FromSeconds(10)));
        Assert.Equal((null, HashStatuses.Changed), small.Lookup(Environment.ProcessId, exe, stale, false, false));

        // Another file at the path (and /proc/self/exe is not it either).
        ExecutableVersion other = v with { Inode = v.Inode + 1 };
        small.Lookup(Environment.ProcessId, exe, other, false, false);
        Assert.True(small.WaitIdle(TimeSpan.FromSeconds(10)));
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
        var hasher = new ExecutableHasher(new HashOptions { QueueCapacity = 2 });
        int full = 0;
        for (ulong ino = 1; ino <= 200; ino++)
        {
            // Paths that do not exist: the worker fails fast, the queue still fills faster than it drains.
            if (hasher.Lookup(1, "/nonexistent/x", new ExecutableVersion(1, ino, 10, 1, 1), false, false).Status == HashStatuses.QueueFull)
                full++;
        }
        Assert.True(full > 0);
        Assert.Equal(full, hasher.QueueFullCount);
    }
}
