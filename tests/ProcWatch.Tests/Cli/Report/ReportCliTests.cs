using ProcWatch.Tests.Helpers;
using ProcWatch.Tests.Cli;
using Xunit;

namespace ProcWatch.Tests.Cli.Report;

/// <summary>`procwatch report` and `--report` failures: one line and a documented exit code.</summary>
public class ReportCliTests
{
    [KernelFact]
    public void MissingInput_OneLine_Exit1()
    {
        var (code, stdout, stderr) = CliRunner.Run("report", "/nonexistent/events.json", "-o", "/tmp/never.html");
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.StartsWith("procwatch: cannot read /nonexistent/events.json:", stderr);
        Assert.Single(stderr.TrimEnd().Split('\n'));
    }

    [KernelFact]
    public void ReportWithoutCommand_UsageError()
    {
        var (code, _, stderr) = CliRunner.Run("--report", "/tmp/x.html", "-D", "1");
        Assert.Equal(2, code);
        Assert.Equal("procwatch: --report needs -- COMMAND (for a recording, use procwatch report EVENTS.json)", stderr.TrimEnd());
    }

    [KernelFact]
    public void UnwritableOutput_OneLine_Exit5()
    {
        string input = Path.GetTempFileName();
        try
        {
            File.WriteAllText(input, ReportFixtures.Fork(1, 0, ReportFixtures.T(0)) + "\n");
            var (code, _, stderr) = CliRunner.Run("report", input, "-o", "/nonexistent-dir/r.html");
            Assert.Equal(5, code);
            Assert.StartsWith("procwatch: cannot write report /nonexistent-dir/r.html:", stderr);
        }
        finally
        {
            File.Delete(input);
        }
    }

    [KernelFact]
    public void HostileInputName_IsEscapedInTheErrorLine()
    {
        var (code, _, stderr) = CliRunner.Run("report", "/nonexistent/\u001b[2Jevil.json", "-o", "/tmp/never.html");
        Assert.Equal(1, code);
        Assert.DoesNotContain('\u001b', stderr);
        Assert.Contains("\\e[2Jevil.json", stderr);
    }

    [KernelFact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void Report_IsNotWorldReadable_AndReplacesASymlinkInsteadOfWritingThroughIt()
    {
        string dir = Directory.CreateTempSubdirectory("procwatch-report-").FullName;
        try
        {
            string input = Path.Combine(dir, "events.json");
            File.WriteAllText(input, ReportFixtures.Fork(1, 0, ReportFixtures.T(0)) + "\n");
            string victim = Path.Combine(dir, "victim");
            File.WriteAllText(victim, "precious");
            string output = Path.Combine(dir, "r.html");
            File.CreateSymbolicLink(output, victim);
            var (code, _, stderr) = CliRunner.Run("report", input, "-o", output);
            Assert.True(code == 0, stderr);
            Assert.Equal("precious", File.ReadAllText(victim));
            Assert.Null(new FileInfo(output).LinkTarget);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(output) & (UnixFileMode)0b111_111_111);
            Assert.Equal(["events.json", "r.html", "victim"], Directory.GetFiles(dir).Select(f => Path.GetFileName(f)!).Order().ToArray()); // no temporary left
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
