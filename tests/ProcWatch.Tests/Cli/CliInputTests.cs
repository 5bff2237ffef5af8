using System.Diagnostics;
using Xunit;

namespace ProcWatch.Tests.Cli;

/// <summary>
/// What a careless user or an attacker types (issue 10: B6, B7, B8 and the rough edges): each
/// gets one readable line on standard error and a documented exit code, never an internal error.
/// </summary>
public class CliInputTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    /// <summary>The error lines, without the host's warnings (e.g. eBPF unavailable here).</summary>
    private static string[] ErrorLines(string stderr) =>
        [.. stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith("procwatch: warning: ", StringComparison.Ordinal))];

    private static string OneErrorLine((int Code, string Stdout, string Stderr) run, int expectedCode)
    {
        Assert.True(expectedCode == run.Code, $"exit {run.Code}, expected {expectedCode}; stderr:\n{run.Stderr}");
        string line = Assert.Single(ErrorLines(run.Stderr));
        Assert.StartsWith("procwatch: ", line);
        Assert.DoesNotContain("internal error", line);
        Assert.DoesNotContain("Exception", line);
        return line;
    }

    [Fact]
    public void B6_DurationBeyondTheTimersRange_IsAUsageErrorNamingTheRange()
    {
        string line = OneErrorLine(CliRunner.Run("-D", "4294968"), 2);
        Assert.Equal("procwatch: --duration 4294968: must be more than 0 and at most 4294967 seconds (about 49 days)", line);
    }

    [Fact]
    public void DurationAtTheTopOfTheRange_Runs()
    {
        (int code, _, string stderr) = CliRunner.Run("-D", "4294967", "-o", "/dev/null", "--", "/bin/true");
        Assert.True(code == 0, stderr);
        Assert.Empty(ErrorLines(stderr));
    }

    [Fact]
    public void HugeDuration_SaysTheAllowedRange()
    {
        string line = OneErrorLine(CliRunner.Run("-D", "1e9"), 2);
        Assert.Contains("at most 4294967 seconds", line);
    }

    [Fact]
    public void B7_EmptyCommandName_Is127()
    {
        string line = OneErrorLine(CliRunner.Run("-o", "/dev/null", "--", ""), 127);
        Assert.Equal("procwatch: cannot run '': command not found", line);
    }

    [Fact]
    public void DirectoryAsCommand_Is126LikeAShell()
    {
        string line = OneErrorLine(CliRunner.Run("-o", "/dev/null", "--", "/tmp"), 126);
        Assert.Equal("procwatch: cannot run /tmp: is a directory", line);
        Spawn(["/bin/sh", "-c", "/tmp"], out int shell);
        Assert.Equal(126, shell);
    }

    [Fact]
    public void BareSeparator_IsAUsageError()
    {
        string line = OneErrorLine(CliRunner.Run("-o", "/dev/null", "-D", "0.2", "--"), 2);
        Assert.Contains("-- must be followed by the COMMAND", line);
    }

    [Theory]
    [InlineData("-u", "-u: needs a user name or uid")]
    [InlineData("-o", "-o needs a file name")]
    public void EmptyValue_IsAUsageError(string option, string message)
    {
        string line = OneErrorLine(CliRunner.Run(option, "", "-D", "0.2"), 2);
        Assert.Contains(message, line);
    }

    [Theory]
    [InlineData("--duration", "soon", "--duration: 'soon' is not a number of seconds")]
    [InlineData("--queue-size", "many", "--queue-size: 'many' is not a whole number")]
    [InlineData("--buffer-size", "1.5", "--buffer-size: '1.5' is not a whole number")]
    [InlineData("--scan-interval", "x", "--scan-interval: 'x' is not a whole number")]
    [InlineData("-p", "init", "--pid: 'init' is not a whole number")]
    public void BadNumber_SaysWhatWasExpected_NotADotNetType(string option, string value, string message)
    {
        string line = OneErrorLine(CliRunner.Run(option, value), 2);
        Assert.Contains(message, line);
        Assert.DoesNotContain("System.", line);
    }

    [Fact]
    public void UserValueWithEscapes_IsShownEscaped()
    {
        (int code, _, string stderr) = CliRunner.Run("-u", "\u001b[2Jx\u009b");
        Assert.Equal(2, code);
        Assert.DoesNotContain('\u001b', stderr);
        Assert.DoesNotContain('\u009b', stderr);
        Assert.Equal("procwatch: -u: no such user '\\e[2Jx\\u{009b}' on this host", Assert.Single(ErrorLines(stderr)));
    }

    [Fact]
    public void CommandNameWithEscapes_IsShownEscaped()
    {
        (int code, _, string stderr) = CliRunner.Run("-o", "/dev/null", "--", "no-such-\u001b]0;pwned\u0007");
        Assert.Equal(127, code);
        Assert.DoesNotContain('\u001b', stderr);
        Assert.Contains("procwatch: cannot run no-such-\\e]0;pwned\\x07: command not found", stderr);
    }

    [Fact]
    public void Status_WithoutDaemon_SaysNoDaemonListens()
    {
        string socket = Path.Combine(Path.GetTempPath(), $"procwatch-none-{Guid.NewGuid():N}.sock");
        string line = OneErrorLine(CliRunner.Run("status", "--socket", socket), 1);
        Assert.Equal($"procwatch: no daemon is listening on {socket} (no such socket; is procwatch daemon running, and is this its health.socket?)", line);
    }

    /// <summary>B8: an unprivileged user forcing eBPF lacks privilege (3); the kernel has the mechanism (not 4).</summary>
    [Fact]
    public void B8_ForcedEbpfWithoutPrivilege_IsExitThree()
    {
        string[] command = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
            "/usr/bin/env", "HOME=/tmp", "DOTNET_CLI_TELEMETRY_OPTOUT=1", .. CliRunner.Command, "--backend", "ebpf", "-D", "1", "-o", "/dev/null"];
        string stderr = Spawn(command, out int code);
        Assert.True(code == 3, $"exit {code}; stderr:\n{stderr}");
        Assert.Equal("procwatch: eBPF exec capture unavailable: needs CAP_BPF and CAP_PERFMON (or root)", Assert.Single(ErrorLines(stderr)));
    }

    /// <summary>SIGHUP (a closed terminal, `kill -HUP`) stops a watch like SIGTERM: what happened before is written, exit 0.</summary>
    [Fact]
    public void Sighup_FlushesAndExitsZero()
    {
        using CliProcess watch = CliRunner.Start("-f", "json", "-v", "-e", "exit");
        watch.WaitForReady();
        int pid = Integration.Spawn.Sh("exit 9");
        watch.Signal(1);
        Assert.Equal(0, watch.WaitForExit(Wait));
        Assert.Contains(watch.StdoutLines(), l => l.Contains($"\"pid\":{pid},", StringComparison.Ordinal) && l.Contains("\"exit_code\":9", StringComparison.Ordinal));
    }

    private static string Spawn(string[] command, out int exitCode)
    {
        var psi = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/tmp" };
        foreach (string a in command.Skip(1)) psi.ArgumentList.Add(a);
        using Process p = Process.Start(psi)!;
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        _ = p.StandardOutput.ReadToEndAsync();
        if (!p.WaitForExit(Wait))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{command[0]} did not finish");
        }
        exitCode = p.ExitCode;
        return stderr.Result;
    }
}
