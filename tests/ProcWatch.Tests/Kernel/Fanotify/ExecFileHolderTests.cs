using System.Diagnostics;
using ProcWatch.Events;
using ProcWatch.Interop;
using ProcWatch.Kernel.Fanotify;
using ProcWatch.Tests.Helpers;
using ProcWatch.Tracking;
using Xunit;

namespace ProcWatch.Tests.Kernel.Fanotify;

/// <summary>
/// The fanotify exec-file holder on the real kernel: an executed file is held; once its
/// version is hashed, its inode is marked ignored and later execs are not reported at all
/// (the cost fix of issue 22); writing to the file lifts the mark.
/// </summary>
public sealed class ExecFileHolderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("pw-holder-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [KernelFact]
    public void AHashedFileIsIgnoredUntilItIsWrittenTo()
    {
        using ExecFileHolder? holder = ExecFileHolder.TryStart();
        Assert.NotNull(holder);
        string program = CopyOfTrue("watched");
        ExecutableVersion first = VersionOf(program);
        bool hashed = false;
        holder.IsHashed = v => hashed && v.Inode == first.Inode && v.Device == first.Device;

        // Not hashed yet: the exec's descriptor is held for the hasher.
        Run(program);
        Assert.True(WaitForHeld(holder, first), "the first exec's file was not held");

        // Hashed: the next notification of this inode becomes an ignore mark, nothing is held.
        hashed = true;
        Run(program);
        Assert.True(SpinWait.SpinUntil(() => holder.IgnoreMarks == 1, TimeSpan.FromSeconds(30)), $"ignore marks: {holder.IgnoreMarks}");
        Assert.Null(holder.Take(first));

        // Marked: the kernel no longer reports its execs, even when the holder would hold it
        // again. The sentinel is reported after it, on the same queue, so once the sentinel is
        // held the watched file's notification (if any) has been read too.
        hashed = false;
        long notifications = holder.Notifications;
        Run(program);
        string sentinel = CopyOfTrue("sentinel");
        Run(sentinel);
        Assert.True(WaitForHeld(holder, VersionOf(sentinel)), "the sentinel was not held");
        Assert.Null(holder.Take(first));

        // Written to: the kernel clears the ignore mask; the new version is held again.
        using (var stream = new FileStream(program, FileMode.Append))
            stream.WriteByte(0);
        ExecutableVersion second = VersionOf(program);
        Run(program);
        Assert.True(WaitForHeld(holder, second), "the rewritten file was not held");
        Assert.True(holder.Notifications > notifications);
    }

    /// <summary>
    /// A file exec'd again while its first descriptor is held (what the ELF interpreter is on
    /// every dynamically linked exec) is not reported again while held: one ignore mark, the
    /// held descriptor kept. Once the hold ages out the mark is lifted and the file is still
    /// held (the grace after execs nobody saw), and its next exec is reported again.
    /// </summary>
    [KernelFact]
    public void AFileExecutedAgainWhileHeldIsQuietUntilItsHoldAgesOut()
    {
        using ExecFileHolder? holder = ExecFileHolder.TryStart();
        Assert.NotNull(holder);
        string program = CopyOfTrue("repeated");
        string sentinel = CopyOfTrue("sentinel");
        ExecutableVersion version = VersionOf(program);
        ExecutableVersion sentinelVersion = VersionOf(sentinel);
        int reported = 0, sentinelReported = 0;
        holder.IsHashed = v =>
        {
            if (v.Device == version.Device && v.Inode == version.Inode)
                Interlocked.Increment(ref reported);
            if (v.Device == sentinelVersion.Device && v.Inode == sentinelVersion.Inode)
                Interlocked.Increment(ref sentinelReported);
            return false;
        };
        long quieted = holder.Quieted;

        Run(program);
        Run(program);
        Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref reported) == 2, TimeSpan.FromSeconds(30)), $"reported: {reported}");
        Assert.True(holder.Quieted > quieted, "the second exec while held did not quiet the file");

        // Quiet: a third exec is not reported. The sentinel is reported after it on the same
        // queue, so once the sentinel was seen, the third exec would have been too.
        Run(program);
        Run(sentinel);
        Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref sentinelReported) == 1, TimeSpan.FromSeconds(30)), "the sentinel was not reported");
        Assert.Equal(2, Volatile.Read(ref reported));

        // After the hold ages out (MaxAge) the mark is lifted: execs are reported again, and the
        // descriptor is still held for the hasher meanwhile.
        var clock = Stopwatch.StartNew();
        while (Volatile.Read(ref reported) == 2 && clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            Run(program);
            Thread.Sleep(100);
        }
        Assert.True(Volatile.Read(ref reported) > 2, "the file was never reported again");
        Assert.True(WaitForHeld(holder, version), "the quiet file's descriptor was not held");
    }

    /// <summary>
    /// The hasher's worker can come to a dropper's job long after the holder read its
    /// descriptor (here held 4 s in another job, longer than the holder keeps a file): the
    /// holder hands the descriptor to the waiting job as it reads it, so the late worker
    /// still hashes the file that ran and deleted itself.
    /// </summary>
    [KernelFact]
    public void ADescriptorAJobWaitsFor_IsHandedOverAtOnce_HoweverLateTheWorkerComes()
    {
        using ExecFileHolder? holder = ExecFileHolder.TryStart();
        Assert.NotNull(holder);
        var hasher = new ExecutableHasher(new HashOptions { InlineMaxBytes = 0 });
        hasher.HeldFiles = holder.Take;
        hasher.HeldReadThrough = holder.HasReadThrough;
        holder.IsHashed = hasher.IsHashed;
        holder.Wanted = hasher.OfferHeld;
        using var release = new ManualResetEventSlim(false);
        var followUps = new System.Collections.Concurrent.BlockingCollection<(string Entity, string? Sha, string? Status)>();
        hasher.FollowUp = (w, sha, status) =>
        {
            if (w.EntityId == "blocker")
                release.Wait(TimeSpan.FromSeconds(60));
            followUps.Add((w.EntityId!, sha, status));
        };

        using var unblock = new Finally(release.Set); // whatever fails: the worker never waits on a disposed gate

        // The worker is busy with another job until released.
        string blocker = CopyOfTrue("blocker");
        Assert.Equal(HashStatuses.Pending, hasher.Lookup(Environment.ProcessId, blocker, VersionOf(blocker), false, false, "blocker").Status);

        // A dropper: its version taken before it runs, its job waiting before the holder can
        // have it (execNs 0: only the hand-over or the cap ends the wait).
        string dropper = Path.Combine(_dir, "dropper");
        File.Copy(NativeHelpers.Build("self_delete.c"), dropper);
        using (var stream = new FileStream(dropper, FileMode.Append))
            stream.Write("dropped"u8);
        File.SetUnixFileMode(dropper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        ExecutableVersion version = VersionOf(dropper);
        string sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(dropper)));
        Assert.Equal(HashStatuses.Pending, hasher.Lookup(int.MaxValue, dropper, version, deleted: true, memfd: false, "dropper").Status);
        Run(dropper);
        Assert.False(File.Exists(dropper));
        Assert.True(SpinWait.SpinUntil(() => holder.Taken == 1, TimeSpan.FromSeconds(30)), "the holder did not hand the dropper's descriptor over");

        Thread.Sleep(ExecFileHolder.MaxAge + TimeSpan.FromSeconds(1)); // longer than the holder would have kept it
        release.Set();
        (string Entity, string? Sha, string? Status) got = default;
        Assert.True(SpinWait.SpinUntil(() => followUps.TryTake(out got) && got.Entity == "dropper", TimeSpan.FromSeconds(30)), "no follow-up for the dropper");
        Assert.Equal(sha, got.Sha);
        Assert.True(hasher.WaitIdle(TimeSpan.FromSeconds(30))); // the worker is done with the gate before it is disposed
    }

    private string CopyOfTrue(string name)
    {
        string path = Path.Combine(_dir, name);
        File.Copy("/bin/true", path);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    private static void Run(string program)
    {
        using Process process = Process.Start(program)!;
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
    }

    private static bool WaitForHeld(ExecFileHolder holder, ExecutableVersion version)
    {
        Microsoft.Win32.SafeHandles.SafeFileHandle? held = null;
        bool found = SpinWait.SpinUntil(() => (held = holder.Take(version)) is not null, TimeSpan.FromSeconds(30));
        held?.Dispose();
        return found;
    }

    private static ExecutableVersion VersionOf(string path)
    {
        int fd = Libc.Open(path, Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
        Assert.True(fd >= 0);
        try
        {
            Assert.True(FileVersion.TryRead(fd, out ExecutableVersion v, out _));
            return v;
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    private sealed class Finally(Action action) : IDisposable
    {
        public void Dispose() => action();
    }
}
