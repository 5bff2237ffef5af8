using System.Diagnostics;
using ProcWatch.Tests.Helpers;
using Xunit;
using Xunit.Abstractions;

namespace ProcWatch.Tests.Api;

/// <summary>
/// The library as its users write it (docs/library.md): only public types from the
/// <c>ProcWatch</c> namespace, no internals, the default options, and a real child process
/// whose fork, exec and exit must come out of <c>WatchAsync</c> as the kernel saw them.
/// </summary>
/// <remarks>Beside the eBPF tests, not during them: Auto attaches the eBPF programs too.</remarks>
[Collection(ProcWatch.Tests.Kernel.Ebpf.EbpfCollection.Name)]
public class LibraryUserTests(ITestOutputHelper output)
{
    [KernelFact]
    public async Task WatchAsync_ReportsARealChild_ForkExecExit_InOrder_FieldByField()
    {
        string token = "pwlib" + Guid.NewGuid().ToString("N")[..12];
        string cwd = Directory.CreateTempSubdirectory("pw-library-user-").FullName;
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90)); // a deadline, not a timing assertion
            await using var watcher = new ProcessWatcher(new WatchOptions { Kinds = ProcessEventKinds.Fork | ProcessEventKinds.Exec | ProcessEventKinds.Exit });
            var warnings = new List<string>();
            watcher.Warning += (_, e) => warnings.Add(e.GetException().Message);

            // The child starts once the watcher is subscribed (Start runs in WatchAsync's first step).
            int childPid = 0;
            Task child = Task.Run(async () =>
            {
                while (watcher.ActiveBackend == Backend.Auto)
                    await Task.Delay(10, cts.Token);
                var start = new ProcessStartInfo("/bin/sh") { WorkingDirectory = cwd, ArgumentList = { "-c", "exit 3", token } };
                using (Process p = Process.Start(start)!)
                {
                    Volatile.Write(ref childPid, p.Id);
                    await p.WaitForExitAsync(cts.Token);
                    Assert.Equal(3, p.ExitCode);
                }
                // Wakes the loop below in case the child's exit was the last event it read.
                using Process wake = Process.Start("/bin/true")!;
                await wake.WaitForExitAsync(cts.Token);
            }, cts.Token);

            // Every process fork and exit, and the execs with our token, in arrival order (the
            // child's pid is known only after its fork may already have been read).
            var seen = new List<ProcessEvent>();
            await foreach (ProcessEvent e in watcher.WatchAsync(cts.Token))
            {
                if (e is LostEvent lost)
                    output.WriteLine($"lost: {lost.Count} ({lost.Reason})"); // says why, should an event below be missing
                if (e is ForkEvent { IsThread: false } or ExitEvent { IsThread: false } || e is ExecEvent { Process.Args: { } args } && args.Contains(token))
                    seen.Add(e);
                if (child.IsCompleted && seen.Exists(x => x is ExitEvent && x.Pid == Volatile.Read(ref childPid)))
                    break;
            }
            await child;
            int pid = childPid;
            Assert.Empty(warnings); // root on this kernel: the full backend, nothing missing

            List<ProcessEvent> events = seen.FindAll(e => e.Pid == pid);
            ExecEvent exec = Assert.Single(events.OfType<ExecEvent>());
            ProcessInfo p = exec.Process!;
            string entity = Assert.IsType<string>(p.EntityId); // pid + start time: one process instance
            ulong? startTicks = p.StartTimeTicks;
            Assert.NotNull(startTicks);
            // Same pid and same start time: this process, not an earlier one that had the pid.
            events = events.FindAll(e => e.Process is { } q && q.EntityId == entity);
            Assert.Equal([ProcessEventKinds.Fork, ProcessEventKinds.Exec, ProcessEventKinds.Exit], events.ConvertAll(KindOf));

            var fork = (ForkEvent)events[0];
            Assert.Equal(Environment.ProcessId, fork.ParentPid); // Process.Start forks from this process
            Assert.Equal(pid, fork.Tid);
            Assert.Equal(startTicks, fork.Process!.StartTimeTicks);

            Assert.Equal(pid, exec.Tid);
            Assert.Equal(["/bin/sh", "-c", "exit 3", token], p.Args);
            Assert.False(p.ArgsTruncated);
            Assert.Equal(4, p.ArgsCount);
            Assert.Equal(RealPath("/bin/sh"), p.Executable); // the file the kernel ran, links resolved
            Assert.Equal(cwd, p.WorkingDirectory);
            uint uid = OurUid();
            Assert.Equal(uid, p.User!.Value.Id);
            Assert.Equal(uid, p.EffectiveUser!.Value.Id);
            Assert.Equal(Environment.ProcessId, p.ParentPid);
            Assert.Equal(Environment.ProcessId, p.Parent!.Pid);

            var exit = (ExitEvent)events[2];
            Assert.Equal(pid, exit.Tid);
            Assert.Equal(Environment.ProcessId, exit.ParentPid);
            WaitStatus status = exit.Status!.Value;
            Assert.True(status.Exited);
            Assert.Equal(3, status.ExitCode);
            Assert.Null(status.Signal);
            Assert.NotNull(exit.Duration);
            Assert.True(exit.Duration >= TimeSpan.Zero, $"duration {exit.Duration}");
            Assert.True(exec.KernelTimeNs <= exit.KernelTimeNs, $"exec at {exec.KernelTimeNs} ns after exit at {exit.KernelTimeNs} ns");
        }
        finally
        {
            Directory.Delete(cwd, recursive: true);
        }
    }

    private static ProcessEventKinds KindOf(ProcessEvent e) => e switch
    {
        ForkEvent => ProcessEventKinds.Fork,
        ExecEvent => ProcessEventKinds.Exec,
        ExitEvent => ProcessEventKinds.Exit,
        _ => ProcessEventKinds.None,
    };

    /// <summary>/bin/sh is a link (to dash; /bin itself is one on merged-/usr systems): what realpath(1) says.</summary>
    private static string RealPath(string path)
    {
        var info = new ProcessStartInfo("realpath", path) { RedirectStandardOutput = true };
        using Process p = Process.Start(info)!;
        string resolved = p.StandardOutput.ReadToEnd().TrimEnd('\n');
        p.WaitForExit();
        return resolved;
    }

    private static uint OurUid()
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("Uid:", StringComparison.Ordinal))
                return uint.Parse(line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1]);
        }
        throw new InvalidOperationException("no Uid line in /proc/self/status");
    }
}
