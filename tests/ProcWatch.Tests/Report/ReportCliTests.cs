using ProcWatch.Tests.Helpers;
using ProcWatch.Tests.Cli;
using Xunit;

namespace ProcWatch.Tests.Report;

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
}
