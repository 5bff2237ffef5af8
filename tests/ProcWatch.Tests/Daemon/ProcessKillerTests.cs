using System.Diagnostics;
using Xunit;
using ProcWatch.Kernel;
using ProcWatch.Rules;
using ProcWatch.Tests.Integration;

namespace ProcWatch.Tests.Daemon;

/// <summary>
/// B1: the kill action must reach only the event's process, never a later holder of its pid.
/// The reuse is forced through /proc/sys/kernel/ns_last_pid (root), as an attacker could.
/// </summary>
[Collection(Helpers.PidReuseCollection.Name)] // writes ns_last_pid: alone, see there
public sealed class ProcessKillerTests
{
    [Fact]
    public void Start_times_are_known_to_microseconds_and_bracket_the_real_start()
    {
        using var starts = new TaskStartTime();
        Assert.True(starts.Precise, "taskstats (TASKSTATS_CMD_GET) did not answer as root");
        long before = KernelClock.MonotonicNs();
        using Process child = Spawn.Start("/bin/sleep", ["5"]);
        long after = KernelClock.MonotonicNs();
        try
        {
            // The window is two clock reads around a netlink round trip: preemption can widen a
            // try (on a loaded host, several in a row), so the first narrow one of up to 100 shows
            // the precision (well under /proc's 10 ms tick).
            long earliest = 0, latest = long.MaxValue;
            for (int i = 0; i < 100 && latest - earliest > 1_000_000; i++)
                Assert.True(starts.TryGet(child.Id, out earliest, out latest));
            Assert.InRange(latest - earliest, 0, 1_000_000);
            Assert.True(latest >= before && earliest <= after, $"start [{earliest}, {latest}] outside [{before}, {after}]");
        }
        finally
        {
            child.Kill();
            child.WaitForExit();
        }
    }

    [Fact]
    public void A_pid_taken_by_another_process_is_reported_gone_and_the_other_survives()
    {
        using var killer = new ProcessKiller();
        int reused = 0;
        for (int attempt = 0; attempt < 40 && reused < 20; attempt++)
        {
            using Process first = Spawn.Start("/bin/sleep", ["30"]);
            long heldAt = KernelClock.MonotonicNs(); // the first process holds its pid now: the "event"
            first.Kill();
            first.WaitForExit();
            using Process? second = PidReuse.StartOnPid(first.Id, "/bin/sleep", ["30"]);
            if (second is null)
                continue; // another process on the machine took the pid first
            reused++;
            try
            {
                Assert.Equal(KillOutcome.Gone, Decided(killer, first.Id, heldAt));
                Assert.False(second.WaitForExit(100), "the process that took the pid was signalled");
            }
            finally
            {
                second.Kill();
                second.WaitForExit();
            }
        }
        Assert.True(reused >= 10, $"pid reuse forced only {reused} times");
    }

    [Fact]
    public void The_events_own_process_is_killed()
    {
        using var killer = new ProcessKiller();
        using Process victim = Spawn.Start("/bin/sleep", ["30"]);
        Thread.Sleep(20);
        Assert.Equal(KillOutcome.Killed, Decided(killer, victim.Id, KernelClock.MonotonicNs()));
        Assert.True(victim.WaitForExit(30_000));
        Assert.Equal(137, victim.ExitCode);
    }

    [Fact]
    public void Pid_one_and_self_are_refused_and_a_free_pid_is_gone()
    {
        using var killer = new ProcessKiller();
        Assert.Equal(KillOutcome.Refused, killer.Kill(1, KernelClock.MonotonicNs()).Outcome);
        Assert.Equal(KillOutcome.Refused, killer.Kill(Environment.ProcessId, KernelClock.MonotonicNs()).Outcome);
        // The event time is one at which our process held the pid (it is alive then), never a
        // time after its exit: by then another process may hold the pid, and that one must not die.
        using Process gone = Spawn.Start("/bin/sleep", ["30"]);
        long heldAt = KernelClock.MonotonicNs();
        gone.Kill();
        gone.WaitForExit();
        // Free, or taken since by another process (which started after heldAt): Gone either way.
        Assert.Equal(KillOutcome.Gone, Decided(killer, gone.Id, heldAt));
    }

    /// <summary>
    /// The kill's outcome once the start-time reading decides it. Unverified (nothing signalled)
    /// means the reading straddled <paramref name="heldAt"/>: the thread was preempted between its
    /// two clock reads around the taskstats query for longer than the gap the test left (a few
    /// milliseconds), which a loaded host does. A new reading decides; Unverified every time fails.
    /// </summary>
    private static KillOutcome Decided(ProcessKiller killer, int pid, long heldAt)
    {
        KillOutcome outcome = KillOutcome.Unverified;
        for (int reading = 0; reading < 50 && outcome == KillOutcome.Unverified; reading++)
            outcome = killer.Kill(pid, heldAt).Outcome;
        return outcome;
    }
}

/// <summary>Starts a process on a chosen (free) pid by writing pid − 1 to ns_last_pid just before the fork.</summary>
internal static class PidReuse
{
    private static readonly Lock Gate = new();

    /// <returns>The process, or null when another process on the machine took the pid in between.</returns>
    public static Process? StartOnPid(int pid, string file, IEnumerable<string> args)
    {
        Process started;
        lock (Gate)
        {
            File.WriteAllText("/proc/sys/kernel/ns_last_pid", (pid - 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
            started = Spawn.Start(file, args);
        }
        if (started.Id == pid)
            return started;
        started.Kill();
        started.WaitForExit();
        started.Dispose();
        return null;
    }
}
