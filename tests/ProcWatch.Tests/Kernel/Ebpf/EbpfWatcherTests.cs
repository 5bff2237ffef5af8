using ProcWatch.Tests.Helpers;
using System.Threading.Channels;
using ProcWatch.Events;
using ProcWatch.Kernel.Ebpf;
using ProcWatch.Watching;
using Xunit;

namespace ProcWatch.Tests.Kernel.Ebpf;

/// <summary>The whole path on the real kernel: connector + eBPF joined, through ProcessWatcher and enrichment.</summary>
[Collection(EbpfCollection.Name)]
public sealed class EbpfWatcherTests
{
    internal static (ProcessWatcher Watcher, List<ExecEvent> Execs, Lock Gate) Watch(Backend backend, string token, out string? warning)
    {
        var options = new WatchOptions { Kinds = ProcessEventKinds.Default };
        BackendSelection selection = BackendSelector.Select(backend, options);
        warning = selection.Warning;
        var watcher = new ProcessWatcher(options with { Sources = selection.Sources });
        ChannelReader<ProcessEvent> reader = watcher.Start();
        var execs = new List<ExecEvent>();
        var gate = new Lock();
        _ = Task.Run(async () =>
        {
            await foreach (ProcessEvent e in reader.ReadAllAsync())
            {
                if (e is ExecEvent exec && exec.Process?.Args is { Count: > 1 } args && HasToken(args, token))
                {
                    lock (gate)
                    {
                        execs.Add(exec);
                    }
                }
            }
        });
        return (watcher, execs, gate);
    }

    private static bool HasToken(IReadOnlyList<string> args, string token)
    {
        for (int i = 1; i < args.Count; i++)
        {
            if (args[i].StartsWith(token, StringComparison.Ordinal))
            {
                return true;
            }
        }
        return false;
    }

    internal static List<ExecEvent> WaitFor(List<ExecEvent> execs, Lock gate, int count)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            lock (gate)
            {
                if (execs.Count >= count)
                {
                    return [.. execs];
                }
            }
            Thread.Sleep(20);
        }
        lock (gate)
        {
            return [.. execs];
        }
    }

    [KernelFact]
    public void EbpfBackend_ExecStorm_EveryExecHasItsExactArgvFromEbpf()
    {
        const int Count = 1000;
        string token = ExecCollector.NewToken();
        var (watcher, execs, gate) = Watch(Backend.Ebpf, token, out string? warning);
        using (watcher)
        {
            Assert.Null(warning);
            Assert.IsType<EbpfExecSource>(Assert.Single(watcher.Sources));
            Assert.Equal(0, Programs.Run("/bin/sh", "-c", $"i=0; while [ $i -lt {Count} ]; do /bin/true {token}-$i; i=$((i+1)); done"));

            var seen = WaitFor(execs, gate, Count);
            var args = new HashSet<string>();
            foreach (ExecEvent e in seen)
            {
                Assert.Equal(ArgvSource.Ebpf, e.Process!.ArgvSource);
                Assert.Equal(2, e.Process.Args!.Count);
                Assert.Equal("/bin/true", e.Process.Args[0]);
                Assert.True(args.Add(e.Process.Args[1]), "duplicate exec " + e.Process.Args[1]);
                // Also when /bin/true was gone before /proc could be read: eBPF's cgroup id names it.
                Assert.True(e.Process.CgroupPath is not null, $"no cgroup for {e.Pid}: id {e.Process.CgroupId}, cwd {e.Process.WorkingDirectory}, exe {e.Process.Executable}, start {e.Process.StartTimeTicks}");
            }
            for (int i = 0; i < Count; i++)
            {
                Assert.Contains($"{token}-{i}", args);
            }
        }
    }

    /// <summary>
    /// A set-user-ID program run by nobody after its shell set a login uid: the effective and
    /// real credentials, the login uid and the cgroup come from the eBPF record (no
    /// /proc/PID/status, loginuid or cgroup read), and are what the kernel had at exec.
    /// </summary>
    [KernelFact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void EbpfBackend_ExecCarriesEffectiveCredentialsLoginUidAndCgroup()
    {
        string dir = Directory.CreateTempSubdirectory("procwatch-suid-").FullName;
        try
        {
            File.SetUnixFileMode(dir, (UnixFileMode)0b111_101_101);
            // A set-user-ID shell (dash keeps the effective uid) that lives long enough for /proc to be read.
            string suid = Path.Combine(dir, "suid-sh");
            File.Copy("/bin/dash", suid);
            File.SetUnixFileMode(suid, (UnixFileMode)0b100_111_101_101); // 4755, owned by root (we are root)
            string token = ExecCollector.NewToken();
            var (watcher, execs, gate) = Watch(Backend.Ebpf, token, out string? warning);
            using (watcher)
            {
                Assert.Null(warning);
                Assert.Equal(0, Programs.Run("/bin/sh", "-c",
                    $"echo 4321 > /proc/self/loginuid && exec setpriv --reuid=65534 --regid=65534 --clear-groups {suid} -c 'sleep 0.3' {token}"));
                ExecEvent e = WaitFor(execs, gate, 2).Single(x => x.Process!.Args![0] == suid);
                ProcessInfo p = e.Process!;
                Assert.Equal(ArgvSource.Ebpf, p.ArgvSource);
                Assert.Equal(65534u, p.User!.Value.Id);
                Assert.Equal(0u, p.EffectiveUser!.Value.Id);
                Assert.Equal(65534u, p.Group!.Value.Id);
                Assert.Equal(65534u, p.EffectiveGroup!.Value.Id);
                Assert.Equal(4321u, p.LoginUid);
                Assert.NotNull(p.CgroupId);
                Assert.True(ProcWatch.Kernel.ProcFs.ProcCgroup.TryRead(Environment.ProcessId, out string ourCgroup));
                Assert.Equal(ourCgroup, p.CgroupPath); // the child never left our cgroup
                Assert.True(ProcWatch.Kernel.ProcFs.Cgroup2Mount.Names(ourCgroup, p.CgroupId!.Value), "eBPF's cgroup id is the cgroup directory's inode");
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
