using System.Diagnostics;
using System.Text;
using Xunit;
using ProcWatch.Rules;

namespace ProcWatch.Tests.Daemon;

/// <summary>exec actions run as real processes.</summary>
public sealed class ActionRunnerTests
{
    [Fact]
    public async Task Hostile_event_data_reaches_the_action_only_as_stdin_and_environment()
    {
        using var dir = new TempDir();
        string pwned = dir.File("pwned");
        string hostile = $"$(touch {pwned}); rm -rf ~ `touch {pwned}` '\"\n|touch {pwned}";
        byte[] json = Encoding.UTF8.GetBytes("{\"process\":{\"args\":[" + System.Text.Json.JsonSerializer.Serialize(hostile) + "]}}\n");
        var request = new ActionRequest("r", ["/bin/sh", "-c", $"cat > {dir.File("stdin")}; printf %s \"$PROCWATCH_COMMAND_LINE\" > {dir.File("env")}"], json,
            [new("PROCWATCH_COMMAND_LINE", hostile)]);

        (ActionResult result, string detail) = await ActionRunner.RunAsync(request, TimeSpan.FromSeconds(60)); // generous: only a hang takes this long

        Assert.True(result == ActionResult.Succeeded, detail);
        Assert.Equal(json, File.ReadAllBytes(dir.File("stdin")));
        Assert.Equal(hostile, File.ReadAllText(dir.File("env")));
        Assert.False(File.Exists(pwned));
    }

    [Fact]
    public async Task A_hanging_action_is_killed_at_the_timeout_with_its_children()
    {
        var clock = Stopwatch.StartNew();
        (ActionResult result, _) = await ActionRunner.RunAsync(
            new ActionRequest("r", ["/bin/sh", "-c", "sleep 300 & sleep 300"], [], []), TimeSpan.FromMilliseconds(300));
        Assert.Equal(ActionResult.TimedOut, result);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task The_timeout_kills_a_grandchild_whose_parent_exited_and_was_reparented()
    {
        // The subshell forks the sleep and exits: the sleep's parent becomes init, so a walk of
        // the process tree (Process.Kill(entireProcessTree)) no longer finds it. Its process group does.
        using var dir = new TempDir();
        string pidFile = dir.File("orphan");
        (ActionResult result, _, int orphanPidfd) = await RunAndPin(
            ["/bin/sh", "-c", $"(/bin/sleep 300 & echo $! > {pidFile}); exec /bin/sleep 300"], pidFile, PinTimeout);
        Assert.Equal(ActionResult.TimedOut, result);
        AssertExitsSoon(orphanPidfd, "the re-parented grandchild");
    }

    [Fact]
    public async Task A_child_that_outlives_its_exited_action_holding_the_output_is_killed_at_the_timeout()
    {
        using var dir = new TempDir();
        string pidFile = dir.File("child");
        (ActionResult result, string detail, int childPidfd) = await RunAndPin(
            ["/bin/sh", "-c", $"/bin/sleep 300 & echo $! > {pidFile}"], pidFile, PinTimeout);
        Assert.True(result == ActionResult.Succeeded, detail); // the action itself exited 0
        AssertExitsSoon(childPidfd, "the background child");
    }

    /// <summary>An action's timeout long enough for a host 10× slower than a quiet one to start it, write the pid and let the test pin it (3 s was not).</summary>
    private static readonly TimeSpan PinTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Runs the action; while it runs, pins (pidfd) the process whose pid it writes to <paramref name="pidFile"/>.</summary>
    /// <remarks>The timeout (<see cref="PinTimeout"/>) leaves a loaded machine time to pin the pid before the action is killed.</remarks>
    private static async Task<(ActionResult, string, int)> RunAndPin(string[] argv, string pidFile, TimeSpan timeout)
    {
        Task<(ActionResult Result, string Detail)> run = ActionRunner.RunAsync(new ActionRequest("r", argv, [], []), timeout);
        int pid = 0;
        Poll.Until(() => File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile), out pid), PinTimeout, () => "the action wrote no pid");
        int pidfd = ProcWatch.Interop.Libc.PidfdOpen(pid);
        Assert.True(pidfd >= 0, $"pid {pid} was gone before the timeout");
        (ActionResult result, string detail) = await run;
        return (result, detail, pidfd);
    }

    private static unsafe void AssertExitsSoon(int pidfd, string what)
    {
        try
        {
            var entry = new ProcWatch.Interop.Libc.pollfd { fd = pidfd, events = ProcWatch.Interop.Libc.POLLIN };
            Assert.True(ProcWatch.Interop.Libc.Poll(&entry, 1, 60_000) == 1, $"{what} is still running after the timeout kill");
        }
        finally
        {
            ProcWatch.Interop.Libc.Close(pidfd);
        }
    }

    [Fact]
    public async Task Failures_report_the_exit_code_and_stderr_and_a_missing_program_is_reported()
    {
        (ActionResult failed, string detail) = await ActionRunner.RunAsync(
            new ActionRequest("r", ["/bin/sh", "-c", "echo boom >&2; exit 3"], [], []), TimeSpan.FromSeconds(60)); // generous: only a hang takes this long
        Assert.Equal(ActionResult.Failed, failed);
        Assert.Equal("exit code 3: boom", detail);

        (ActionResult missing, _) = await ActionRunner.RunAsync(new ActionRequest("r", ["/nonexistent/x"], [], []), TimeSpan.FromSeconds(60)); // generous: only a hang takes this long
        Assert.Equal(ActionResult.CouldNotStart, missing);
    }

    [Fact]
    public async Task An_action_that_ignores_a_large_stdin_still_succeeds()
    {
        (ActionResult result, string detail) = await ActionRunner.RunAsync(
            new ActionRequest("r", ["/bin/true"], new byte[1 << 20], []), TimeSpan.FromSeconds(60)); // generous: only a hang takes this long
        Assert.True(result == ActionResult.Succeeded, detail);
    }

    [Fact]
    public async Task A_full_queue_drops_and_counts_instead_of_blocking()
    {
        // The actions wait for a gate the test opens after enqueueing: the one running and the two
        // queued cannot finish meanwhile at any speed (a 0.2 s sleep could, on a loaded host,
        // letting a fourth in). Enqueueing must return while they all still wait.
        using var dir = new TempDir();
        string gate = dir.File("gate");
        var runner = new ActionRunner(new ActionRunnerOptions { Concurrency = 1, QueueCapacity = 2, Timeout = TimeSpan.FromMinutes(5) });
        Task<int> enqueueing = Task.Run(() =>
        {
            int accepted = 0;
            for (int i = 0; i < 10; i++)
            {
                if (runner.TryEnqueue(new ActionRequest("r", ["/bin/sh", "-c", $"while [ ! -e {gate} ]; do sleep 0.02; done"], [], [])))
                    accepted++;
            }
            return accepted;
        });
        // A blocking enqueue would wait for the gate, which opens only after this: it never returns.
        int accepted = await enqueueing.WaitAsync(TimeSpan.FromSeconds(60));
        File.WriteAllText(gate, "");
        Assert.InRange(accepted, 2, 3); // 3 when the worker had taken the first before the queue filled
        Assert.Equal(10 - accepted, runner.Counters[ActionOutcome.QueueFull]);
        await runner.DisposeAsync();
        Assert.Equal(accepted, runner.Counters[ActionOutcome.Succeeded]);
    }
}
