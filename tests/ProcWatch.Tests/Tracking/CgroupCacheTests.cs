using ProcWatch.Events;
using ProcWatch.Kernel.ProcFs;
using ProcWatch.Tests.Integration;
using ProcWatch.Tracking;
using Xunit;

namespace ProcWatch.Tests.Tracking;

/// <summary>
/// The cgroup path cache keyed by the eBPF cgroup id, on the real cgroup2 hierarchy: a path is
/// cached only when the cgroup at that path has that id, so a process that moved cgroups
/// between its exec and the /proc read cannot lend its new path to the old id.
/// </summary>
public sealed class CgroupCacheTests
{
    [Fact]
    public void TheIdIsTheInodeOfTheCgroupDirectory()
    {
        Assert.NotNull(Cgroup2Mount.Path);
        Assert.True(ProcCgroup.TryRead(Environment.ProcessId, out string ours));
        ulong inode = InodeOf(Cgroup2Mount.Path + ours);
        Assert.True(Cgroup2Mount.Names(ours, inode));
        Assert.False(Cgroup2Mount.Names(ours, inode + 1_000_003));
        Assert.False(Cgroup2Mount.Names("/no-such-cgroup-" + Guid.NewGuid().ToString("N"), inode));
    }

    [Fact]
    public void APathIsNotCachedUnderAnIdItDoesNotHave()
    {
        string cgroup = "/procwatch-test-" + Guid.NewGuid().ToString("N")[..8];
        string dir = Cgroup2Mount.Path + cgroup;
        Directory.CreateDirectory(dir);
        System.Diagnostics.Process? sleeper = null;
        try
        {
            sleeper = Spawn.Start("/bin/sleep", ["30"]);
            File.WriteAllText(Path.Combine(dir, "cgroup.procs"), sleeper.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var reader = new ProcessReader();
            const ulong Stale = 4_000_000_001; // an id neither process's cgroup has

            // Our own process, read with a wrong id (as if it had moved since its exec): its path is
            // reported, but must not be remembered under that id ...
            Assert.True(CgroupOf(reader, Environment.ProcessId, Stale, out MissingValues self));
            Assert.True(ProcCgroup.TryRead(Environment.ProcessId, out string ours));
            Assert.Equal(ours, self.CgroupPath);
            // ... so another process with the same id gets its own path, not ours.
            Assert.True(CgroupOf(reader, sleeper.Id, Stale, out MissingValues moved));
            Assert.Equal(cgroup, moved.CgroupPath);

            // With its real id the path is cached: after the sleeper moved back to the root, that id
            // still names the test cgroup (from the cache), while a read without an id sees the move.
            ulong real = InodeOf(dir);
            Assert.True(CgroupOf(reader, sleeper.Id, real, out MissingValues first));
            Assert.Equal(cgroup, first.CgroupPath);
            File.WriteAllText(Cgroup2Mount.Path + "/cgroup.procs", sleeper.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.True(CgroupOf(reader, sleeper.Id, real, out MissingValues cached));
            Assert.Equal(cgroup, cached.CgroupPath);
            Assert.True(CgroupOf(reader, sleeper.Id, null, out MissingValues now));
            Assert.Equal("/", now.CgroupPath);
        }
        finally
        {
            if (sleeper is not null)
            {
                sleeper.Kill();
                sleeper.WaitForExit();
            }
            for (int i = 0; i < 50 && Directory.Exists(dir); i++)
            {
                try { Directory.Delete(dir); }
                catch (IOException) { Thread.Sleep(20); } // the killed sleeper leaves the cgroup a moment later
            }
        }
    }

    private static ulong InodeOf(string path)
    {
        var (code, output) = Helpers.NativeHelpers.Run("/usr/bin/stat", $"-c %i {path}");
        Assert.Equal(0, code);
        return ulong.Parse(output.Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>What an exec's record left to /proc: the cgroup path, looked up under the record's cgroup id.</summary>
    private static bool CgroupOf(ProcessReader reader, int pid, ulong? cgroupId, out MissingValues values)
    {
        values = default;
        return ProcStat.TryRead(pid, out ProcStat stat) && reader.TryReadMissing(pid, stat.StartTimeTicks, MissingFields.Cgroup, cgroupId, out values);
    }
}
