using ProcWatch.Tests.Helpers;
using Xunit;
using ProcWatch.Events;
using ProcWatch.Tests.Integration;
using ProcWatch.Watching;

namespace ProcWatch.Tests.Daemon;

/// <summary><c>watcher.On(filter, handler)</c> on the real kernel.</summary>
public sealed class WatcherCallbackTests
{
    [KernelFact]
    public async Task Handlers_get_their_events_and_a_stuck_one_stalls_nobody()
    {
        using var watcher = new ProcessWatcher(new WatchOptions { Kinds = ProcessEventKinds.Exec | ProcessEventKinds.Exit, Backend = Backend.Connector });
        string name = "pw-cb-" + Guid.NewGuid().ToString("N")[..6];
        using var dir = new TempDir();
        string program = dir.File(name);
        File.Copy("/bin/sh", program);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(program, UnixFileMode.UserRead | UnixFileMode.UserExecute);

        var seen = new TaskCompletionSource<ProcessEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        var byPid = new TaskCompletionSource<ProcessEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var never = new ManualResetEventSlim();
        using EventSubscription stuck = watcher.On(new EventFilter(), _ => never.Wait(), capacity: 16);
        using EventSubscription byName = watcher.On(new EventFilter { Name = name, Kinds = ProcessEventKinds.Exec }, async (e, ct) =>
        {
            await Task.Yield();
            seen.TrySetResult(e);
        });
        int delivered = 0;
        using EventSubscription counter = watcher.On(new EventFilter(), _ => Interlocked.Increment(ref delivered));
        var cts = new CancellationTokenSource();
        Task run = watcher.RunAsync(cts.Token);
        await Task.Delay(300);

        System.Diagnostics.Process child = Spawn.Start(program, ["-c", "read x"]);
        using EventSubscription exits = watcher.On(new EventFilter { Pid = child.Id, Kinds = ProcessEventKinds.Exit }, e => byPid.TrySetResult(e));
        ProcessEvent exec = await seen.Task.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(child.Id, exec.Pid);
        child.StandardInput.WriteLine("done");
        child.WaitForExit();
        ProcessEvent exit = await byPid.Task.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.IsType<ExitEvent>(exit);

        // Enough events that the stuck handler's 16 slots (+1 in its hands) must overflow.
        for (int i = 0; i < 20; i++)
            Spawn.Start("/bin/true", []).WaitForExit();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (Volatile.Read(ref delivered) < 40 && DateTime.UtcNow < deadline)
            await Task.Delay(20);
        int total = Volatile.Read(ref delivered);
        Assert.True(total >= 40, $"only {total} events reached the handlers");
        Assert.True(stuck.Dropped >= total - 17 - 4, $"the stuck handler's queue overflows into drops ({stuck.Dropped} of {total}), not into the receive loop");
        Assert.Equal(0, watcher.Statistics.QueueDrops);
        never.Set();
        await cts.CancelAsync();
        await run;
    }

    [KernelFact]
    public void Filters_match_pid_name_and_kind()
    {
        var e = new ExecEvent
        {
            KernelTimeNs = 1, Timestamp = default, Pid = 10, Tid = 10,
            Process = new ProcessInfo { Pid = 10, Name = "bash", Executable = "/usr/bin/bash" },
        };
        Assert.True(new EventFilter { Pid = 10 }.Matches(e));
        Assert.False(new EventFilter { Pid = 11 }.Matches(e));
        Assert.True(new EventFilter { Name = "bash" }.Matches(e));
        Assert.False(new EventFilter { Name = "sh" }.Matches(e));
        Assert.True(new EventFilter { Kinds = ProcessEventKinds.Exec }.Matches(e));
        Assert.False(new EventFilter { Kinds = ProcessEventKinds.Exit }.Matches(e));
    }
}
