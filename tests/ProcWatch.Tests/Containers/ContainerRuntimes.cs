using System.Diagnostics;
using ProcWatch.Tests.Helpers;
using Xunit;

namespace ProcWatch.Tests.Containers;

/// <summary>
/// Real container runtimes for the container tests, started once for the collection in a
/// private temporary directory (their own data roots, state directories and sockets, so a
/// runtime already on the host is neither used nor disturbed): dockerd (without iptables or a
/// bridge), containerd and podman (runc, cgroupfs: crun refuses this host's hybrid cgroups).
/// The image "pwimg:1.0" is built from busybox-static, no registry. Everything started is
/// stopped, by pid, and its directory unmounted and removed at the end.
/// </summary>
public sealed class ContainerRuntimes : IDisposable
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(2);
    private readonly List<Process> _daemons = [];
    private readonly List<string> _containers = [];

    public ContainerRuntimes()
    {
        Root = Directory.CreateTempSubdirectory("pwc-").FullName;
        if (KernelTests.SkipReason is not null || Missing() is not null)
            return;
        try
        {
            Start();
        }
        catch (Exception ex)
        {
            Failure = ex.Message;
        }
    }

    public string Root { get; }

    /// <summary>Why the runtimes did not start (the tests fail with it: every runtime is a Debian package that runs here).</summary>
    public string? Failure { get; private set; }

    public string DockerSocket => $"{Root}/d/docker.sock";
    public string DockerData => $"{Root}/d/data";
    public string PodmanRoot => $"{Root}/p/root";
    public string ContainerdState => $"{Root}/c/state";

    /// <summary>The <c>--container-runtime</c> arguments that point procwatch at these runtimes.</summary>
    public string[] RuntimeArguments =>
    [
        "--container-runtime", $"docker={DockerData}", "--container-runtime", $"podman={PodmanRoot}",
        "--container-runtime", $"containerd={ContainerdState}",
    ];

    /// <summary>The tools the tests need, or which one is missing (scripts/setup.sh installs them).</summary>
    public static string? Missing()
    {
        foreach (string tool in (string[])["dockerd", "docker", "containerd", "ctr", "podman", "runc", "conmon"])
        {
            if (!ToolExists(tool))
                return $"{tool} not installed (scripts/setup.sh docker.io containerd podman runc busybox-static)";
        }
        return File.Exists("/bin/busybox") ? null : "busybox-static not installed";
    }

    public void EnsureStarted() => Assert.True(Failure is null, $"container runtimes did not start: {Failure}");

    public string Docker(params string[] args) => Run("docker", ["-H", $"unix://{DockerSocket}", .. args]);

    public string Podman(params string[] args) =>
        Run("podman", ["--runtime", "runc", "--cgroup-manager", "cgroupfs", "--root", PodmanRoot, "--runroot", $"{Root}/p/run", "--tmpdir", $"{Root}/p/tmp", .. args]);

    public string Ctr(params string[] args) => Run("ctr", ["-a", $"{ContainerdState}/containerd.sock", .. args]);

    /// <summary>A unique container name; it is removed at the end.</summary>
    public string NewName(string prefix)
    {
        string name = $"{prefix}{Environment.ProcessId}x{_containers.Count}";
        _containers.Add(name);
        return name;
    }

    private void Start()
    {
        Directory.CreateDirectory($"{Root}/d");
        Directory.CreateDirectory($"{Root}/c");
        Directory.CreateDirectory($"{Root}/p/tmp");
        string rootfs = BuildRootfs();

        StartDaemon("dockerd", ["--iptables=false", "--bridge=none", "--ip-masq=false", "--data-root", DockerData, "--exec-root", $"{Root}/d/exec",
            "--pidfile", $"{Root}/d/pid", "-H", $"unix://{DockerSocket}", "--log-level", "warn"], $"{Root}/d/log");
        File.WriteAllText($"{Root}/c/config.toml", $"""
            version = 2
            root = "{Root}/c/root"
            state = "{ContainerdState}"
            disabled_plugins = ["io.containerd.grpc.v1.cri"]
            [grpc]
              address = "{ContainerdState}/containerd.sock"
            [ttrpc]
              address = "{ContainerdState}/containerd.sock.ttrpc"
            """);
        StartDaemon("containerd", ["--config", $"{Root}/c/config.toml", "--log-level", "warn"], $"{Root}/c/log");

        Podman("import", rootfs, "localhost/pwimg:1.0");
        Podman("save", "--format", "oci-archive", "-o", $"{Root}/img.tar", "localhost/pwimg:1.0");
        WaitFor(() => File.Exists($"{ContainerdState}/containerd.sock"), "containerd's socket", $"{Root}/c/log");
        Ctr("images", "import", $"{Root}/img.tar");
        WaitFor(() => File.Exists(DockerSocket) && TryRun("docker", ["-H", $"unix://{DockerSocket}", "info"]), "dockerd's socket", $"{Root}/d/log");
        Docker("import", rootfs, "pwimg:1.0");
    }

    private string BuildRootfs()
    {
        string dir = $"{Root}/rootfs";
        foreach (string sub in (string[])["bin", "tmp", "etc", "proc", "sys", "dev"])
            Directory.CreateDirectory($"{dir}/{sub}");
        File.Copy("/bin/busybox", $"{dir}/bin/busybox");
        foreach (string applet in (string[])["sh", "sleep", "true", "cat", "echo"])
            File.CreateSymbolicLink($"{dir}/bin/{applet}", "busybox");
        string tar = $"{Root}/rootfs.tar";
        Run("tar", ["-C", dir, "-cf", tar, "."]);
        return tar;
    }

    private void StartDaemon(string program, string[] args, string log)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = false, RedirectStandardError = false, UseShellExecute = false };
        // Its output goes to a file (a pipe nobody reads would block it).
        info.FileName = "/bin/sh";
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("exec \"$0\" \"$@\" >\"$LOGFILE\" 2>&1");
        info.ArgumentList.Add(program);
        foreach (string a in args)
            info.ArgumentList.Add(a);
        info.Environment["LOGFILE"] = log;
        _daemons.Add(Process.Start(info)!);
    }

    private static void WaitFor(Func<bool> condition, string what, string log)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(90))
                throw new TimeoutException($"{what} did not appear in 90 s; log: {(File.Exists(log) ? File.ReadAllText(log) : "(none)")}");
            Thread.Sleep(100);
        }
    }

    private static bool ToolExists(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':').Any(d => File.Exists(Path.Combine(d, tool)))
        || File.Exists($"/usr/sbin/{tool}") || File.Exists($"/sbin/{tool}");

    private static bool TryRun(string file, string[] args)
    {
        try
        {
            Run(file, args);
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>Runs a tool, returns its stdout; a non-zero exit throws with its stderr.</summary>
    public static string Run(string file, string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args)
            info.ArgumentList.Add(a);
        using Process p = Process.Start(info)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(CommandTimeout))
        {
            p.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{file} {string.Join(' ', args)}: timed out");
        }
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)}: exit {p.ExitCode}: {stderr.Result.Trim()}");
        return stdout.Result;
    }

    public void Dispose()
    {
        if (_daemons.Count > 0)
        {
            foreach (string name in _containers)
            {
                Quietly(() => Docker("rm", "-f", name));
                Quietly(() => Podman("rm", "-f", "-t", "0", name));
                Quietly(() => Ctr("task", "kill", "-s", "SIGKILL", name));
            }
            foreach (string name in _containers)
            {
                Quietly(() => Ctr("task", "delete", "-f", name));
                Quietly(() => Ctr("containers", "delete", name));
            }
            Quietly(() => Docker("rmi", "-f", "pwimg:1.0"));
            Quietly(() => Podman("rmi", "-f", "localhost/pwimg:1.0"));
            Quietly(() => Ctr("images", "rm", "localhost/pwimg:1.0"));
        }
        foreach (Process daemon in _daemons)
        {
            // SIGTERM: dockerd then stops the containerd it started itself.
            if (!daemon.HasExited)
                ProcWatch.Interop.Libc.Kill(daemon.Id, 15);
            if (!daemon.WaitForExit(TimeSpan.FromSeconds(30)))
                Quietly(() => daemon.Kill(entireProcessTree: true));
            daemon.Dispose();
        }
        // containers/storage may stack its overlay mount twice on one path: until none is left.
        for (int i = 0; i < 5 && Unmount(); i++)
        {
        }
        Quietly(() => Directory.Delete(Root, recursive: true));
    }

    /// <summary>Unmounts what the runtimes left under our directory (overlays, shm, netns), innermost first; false when there was nothing.</summary>
    private bool Unmount()
    {
        List<string> mounts = [];
        foreach (string line in File.ReadAllLines("/proc/self/mounts"))
        {
            string[] fields = line.Split(' ');
            if (fields.Length > 1 && fields[1].StartsWith(Root + "/", StringComparison.Ordinal))
                mounts.Add(fields[1]);
        }
        foreach (string mount in mounts.OrderByDescending(m => m.Length))
            Quietly(() => Run("umount", ["-l", mount]));
        return mounts.Count > 0;
    }

    private static void Quietly(Action action)
    {
        try
        {
            action();
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or UnauthorizedAccessException or System.ComponentModel.Win32Exception)
        {
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ContainerRuntimesCollection : ICollectionFixture<ContainerRuntimes>
{
    public const string Name = "Container runtimes";
}

/// <summary>A test that needs root, the kernel and the container runtimes' packages: skipped with the reason otherwise.</summary>
[AttributeUsage(AttributeTargets.Method)]
[Xunit.Sdk.XunitTestCaseDiscoverer("Xunit.Sdk.FactDiscoverer", "xunit.execution.dotnet")]
[Xunit.Sdk.TraitDiscoverer("ProcWatch.Tests.Helpers.KernelTraitDiscoverer", "ProcWatch.Tests")]
public sealed class ContainerFactAttribute : FactAttribute, Xunit.Sdk.ITraitAttribute
{
    public ContainerFactAttribute()
    {
        if (KernelTests.SkipReason is { } reason)
            Skip = reason;
        else if (ContainerRuntimes.Missing() is { } missing)
            Skip = missing;
    }
}
