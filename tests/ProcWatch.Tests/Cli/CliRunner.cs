using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using ProcWatch.Tests.Helpers;
using ProcWatch.Text;

namespace ProcWatch.Tests.Cli;

/// <summary>
/// Runs the `procwatch` CLI as a child process (the binary <see cref="ProcwatchBinary"/> finds).
/// </summary>
internal static partial class CliRunner
{
    /// <summary>The program and leading arguments that start procwatch (found by <see cref="ProcwatchBinary"/>).</summary>
    public static IReadOnlyList<string> Command => ProcwatchBinary.Command;

    /// <summary>The command as a POSIX shell word list, for `sh -c "... | head -1"`.</summary>
    public static string ShellCommand => CommandLine.Join(ProcwatchBinary.Command);

    public static CliProcess Start(params string[] args) => new(args);

    /// <summary>
    /// Starts procwatch in a private mount namespace where tracefs is unmounted (a host that
    /// never mounted it), with extra environment variables; the host's mounts are untouched.
    /// </summary>
    public static CliProcess StartWithoutTracefs(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        // Exit 99 when tracefs is still reachable: the test would prove nothing.
        string[] prefix =
        [
            "unshare", "-m", "--propagation", "private", "sh", "-c",
            "umount /sys/kernel/tracing 2>/dev/null; umount /sys/kernel/debug/tracing 2>/dev/null; " +
            "[ -e /sys/kernel/tracing/events ] || [ -e /sys/kernel/debug/tracing/events ] && exit 99; exec \"$@\"",
            "sh", .. Command,
        ];
        return new CliProcess(args, prefix, environment);
    }

    /// <summary>Runs to completion (with a deadline) and returns exit code, stdout and stderr.</summary>
    public static (int Code, string Stdout, string Stderr) Run(params string[] args)
    {
        using CliProcess p = Start(args);
        int code = p.WaitForExit(TimeSpan.FromSeconds(60));
        return (code, p.Stdout, p.Stderr);
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    internal static partial int Kill(int pid, int signal);

    public const int SIGINT = 2;
    public const int SIGTERM = 15;
}

/// <summary>A running procwatch with its output collected as it comes.</summary>
internal sealed class CliProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly Lock _gate = new();
    private readonly Task _readers;

    internal CliProcess(IEnumerable<string> args, IReadOnlyList<string>? command = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        command ??= CliRunner.Command;
        var psi = new ProcessStartInfo(command[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (string a in command.Skip(1)) psi.ArgumentList.Add(a);
        foreach (string a in args) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        if (environment is not null)
        {
            foreach ((string name, string value) in environment) psi.Environment[name] = value;
        }
        _process = Process.Start(psi)!;
        _readers = Task.WhenAll(Pump(_process.StandardOutput, _stdout), Pump(_process.StandardError, _stderr));
    }

    public int Pid => _process.Id;

    private async Task Pump(StreamReader reader, StringBuilder into)
    {
        var buffer = new char[4096];
        int n;
        while ((n = await reader.ReadAsync(buffer)) > 0)
        {
            lock (_gate) into.Append(buffer, 0, n);
        }
    }

    public string Stdout { get { lock (_gate) return _stdout.ToString(); } }

    public string Stderr { get { lock (_gate) return _stderr.ToString(); } }

    /// <summary>Complete stdout lines so far.</summary>
    public List<string> StdoutLines()
    {
        string text = Stdout;
        int end = text.LastIndexOf('\n');
        return end < 0 ? [] : [.. text[..end].Split('\n')];
    }

    /// <summary>Waits for "procwatch: ready" on stderr (needs -v): from then on no event is missed.</summary>
    public void WaitForReady(TimeSpan? timeout = null)
    {
        if (!WaitUntil(() => Stderr.Contains("procwatch: ready", StringComparison.Ordinal), timeout ?? TimeSpan.FromSeconds(60)))
            throw new TimeoutException($"procwatch did not get ready; exited={_process.HasExited}; stderr:\n{Stderr}");
    }

    public bool WaitUntil(Func<bool> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (condition()) return true;
            Thread.Sleep(20);
        }
        return condition();
    }

    public void Signal(int signal) => CliRunner.Kill(_process.Id, signal);

    /// <summary>Waits for the exit and for all output; kills and fails after <paramref name="timeout"/>.</summary>
    public int WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            _process.Kill();
            throw new TimeoutException($"procwatch did not exit within {timeout}; stderr:\n{Stderr}");
        }
        _readers.Wait(timeout);
        return _process.ExitCode;
    }

    public bool HasExited => _process.HasExited;

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }
        _process.Dispose();
    }
}
