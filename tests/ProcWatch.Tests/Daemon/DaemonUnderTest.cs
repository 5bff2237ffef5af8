using Xunit;
using System.Diagnostics;
using System.Text;
using ProcWatch.Interop;

namespace ProcWatch.Tests.Daemon;

/// <summary>
/// The built CLI (PROCWATCH_BIN, else the ProcWatch.Cli.dll next to the sources) run as a
/// child: `procwatch daemon --config FILE`, with its standard error collected.
/// </summary>
internal sealed class DaemonUnderTest : IDisposable
{
    public const int SIGHUP = 1;
    public const int SIGTERM = 15;
    /// <summary>Start-up loads BPF objects and parses the kernel's BTF: seconds on a loaded 2-core host, so generous.</summary>
    private static readonly TimeSpan ReadyWait = TimeSpan.FromSeconds(60);
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();
    private readonly Task _stderrPump;
    private readonly Task _stdoutPump;
    private readonly StringBuilder _stdout = new();

    private DaemonUnderTest(Process process)
    {
        _process = process;
        _stderrPump = Pump(process.StandardError, _stderr);
        _stdoutPump = Pump(process.StandardOutput, _stdout);
    }

    public int Pid => _process.Id;

    public string Stderr
    {
        get { lock (_stderr) return _stderr.ToString(); }
    }

    public string Stdout
    {
        get { lock (_stdout) return _stdout.ToString(); }
    }

    public static DaemonUnderTest Start(string configPath)
    {
        var daemon = new DaemonUnderTest(Cli.Start("daemon", "--config", configPath));
        daemon.WaitForStderr("ready:", ReadyWait);
        return daemon;
    }

    /// <summary>The daemon in a network namespace of its own (<c>unshare --net</c>), as in a container: no proc connector, no taskstats.</summary>
    public static DaemonUnderTest StartInOwnNetworkNamespace(string configPath)
    {
        (string file, List<string> argv) = Cli.Command("daemon", "--config", configPath);
        var psi = new ProcessStartInfo("unshare") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        psi.ArgumentList.Add("--net");
        psi.ArgumentList.Add(file);
        foreach (string a in argv) psi.ArgumentList.Add(a);
        var daemon = new DaemonUnderTest(Process.Start(psi)!);
        daemon.WaitForStderr("ready:", ReadyWait);
        return daemon;
    }

    public void Signal(int signal) => Assert.Equal(0, Libc.Kill(_process.Id, signal));

    public int WaitForExit(TimeSpan timeout)
    {
        Assert.True(_process.WaitForExit(timeout), "the daemon did not exit in time; stderr:\n" + Stderr);
        _process.WaitForExit();
        // Our own pumps read stderr/stdout: the daemon's last lines (the final counters) are in
        // only once both reached end of file. An action's child may hold a pipe: bounded wait.
        Task.WaitAll([_stderrPump, _stdoutPump], TimeSpan.FromSeconds(10));
        return _process.ExitCode;
    }

    public void WaitForStderr(string text, TimeSpan timeout) =>
        Poll.Until(() => Stderr.Contains(text, StringComparison.Ordinal), timeout, () => $"no '{text}' on the daemon's stderr:\n{Stderr}");

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
        _process.Dispose();
    }

    private static async Task Pump(StreamReader reader, StringBuilder into)
    {
        char[] buffer = new char[4096];
        int n;
        while ((n = await reader.ReadAsync(buffer)) > 0)
        {
            lock (into) into.Append(buffer, 0, n);
        }
    }
}

internal static class Cli
{
    /// <summary>The command that runs the CLI: PROCWATCH_BIN, or `dotnet ProcWatch.Cli.dll` of this build configuration.</summary>
    public static (string File, List<string> Args) Command(params string[] args)
    {
        if (Environment.GetEnvironmentVariable("PROCWATCH_BIN") is { Length: > 0 } bin)
            return (bin, [.. args]);
        string baseDir = AppContext.BaseDirectory;
        string configuration = baseDir.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        string? root = baseDir;
        while (root is not null && !File.Exists(Path.Combine(root, "ProcWatch.slnx")))
            root = Path.GetDirectoryName(root.TrimEnd('/'));
        Assert.NotNull(root);
        string dll = Path.Combine(root!, "src", "ProcWatch.Cli", "bin", configuration, "net10.0", "ProcWatch.Cli.dll");
        return ("dotnet", [dll, .. args]);
    }

    public static Process Start(params string[] args)
    {
        (string file, List<string> argv) = Command(args);
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (string a in argv) psi.ArgumentList.Add(a);
        return Process.Start(psi)!;
    }

    public static (int ExitCode, string Stdout, string Stderr) Run(params string[] args)
    {
        using Process p = Start(args);
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000))
        {
            p.Kill(entireProcessTree: true); // a daemon that should have refused to start must not outlive the test
            Assert.Fail("procwatch did not finish");
        }
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}

internal static class Poll
{
    /// <summary>Waits for <paramref name="condition"/>; false when <paramref name="timeout"/> passed first.</summary>
    public static bool Until(Func<bool> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout)
                return false;
            Thread.Sleep(50);
        }
        return true;
    }

    public static void Until(Func<bool> condition, TimeSpan timeout, Func<string> failure)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout)
                Assert.Fail(failure());
            Thread.Sleep(50);
        }
    }
}

/// <summary>A temporary directory for one test's config, outputs and action traces.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir() => Path = Directory.CreateTempSubdirectory("procwatch-daemon-test-").FullName;

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public string Write(string name, string text)
    {
        string path = File(name);
        System.IO.File.WriteAllText(path, text);
        return path;
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { }
    }
}
