using System.Runtime.InteropServices;
using System.Text.Json;
using ProcWatch.Tests.Helpers;
using Xunit;

namespace ProcWatch.Tests.Cli;

/// <summary>
/// What a person at a terminal sees: lines fit the terminal's width (a cut command line ends
/// in "…"), whole lines with -w and on pipes, the header at once, thread events labelled,
/// and a traced command's output kept apart from the events.
/// </summary>
public sealed partial class TerminalTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private static readonly string LongArg = new('P', 3000);

    private static string Token() => "pw-term-" + Guid.NewGuid().ToString("N")[..8];

    [KernelFact]
    public void An_80_column_terminal_gets_lines_of_at_most_80_columns_and_a_long_command_line_cut_with_an_ellipsis()
    {
        string token = Token();
        using CliProcess p = PseudoTerminal.Start(80, "-e", "exec", "--", "/bin/sh", "-c", $"/bin/true {token} {LongArg}");
        Assert.Equal(0, p.WaitForExit(Deadline));

        List<string> lines = PseudoTerminal.Lines(p);
        Assert.All(lines, l => Assert.True(PseudoTerminal.Columns(l) <= 80, $"{PseudoTerminal.Columns(l)} columns: {l[..Math.Min(l.Length, 120)]}…"));
        Assert.StartsWith("Time         Event         PID      UID Info             Duration Process", lines[0], StringComparison.Ordinal);
        // The compact table leaves 14 columns of 80 to the command line: "/bin/true pw-…".
        string exec = Assert.Single(lines, l => l.Contains(" /bin/true pw-…", StringComparison.Ordinal));
        Assert.Equal(80, PseudoTerminal.Columns(exec));
        Assert.DoesNotContain(lines, l => l.Contains("PPPP", StringComparison.Ordinal));
    }

    [KernelFact]
    public void Wide_prints_the_whole_command_line_on_a_terminal()
    {
        string token = Token();
        using CliProcess p = PseudoTerminal.Start(80, "-w", "-e", "exec", "--", "/bin/sh", "-c", $"/bin/true {token} {LongArg}");
        Assert.Equal(0, p.WaitForExit(Deadline));
        Assert.Contains(PseudoTerminal.Lines(p), l => l.EndsWith($"/bin/true {token} {LongArg}", StringComparison.Ordinal));
    }

    [KernelFact]
    public void A_wide_terminal_gets_every_column_and_a_pipe_gets_whole_lines()
    {
        string token = Token();
        using CliProcess wide = PseudoTerminal.Start(200, "-e", "exec", "--", "/bin/sh", "-c", $"/bin/true {token} {LongArg}");
        Assert.Equal(0, wide.WaitForExit(Deadline));
        List<string> lines = PseudoTerminal.Lines(wide);
        Assert.StartsWith("Time         Event         PID      UID     EUID TTY    Info             Duration Process", lines[0], StringComparison.Ordinal);
        Assert.All(lines, l => Assert.True(PseudoTerminal.Columns(l) <= 200, l));

        (int code, string stdout, _) = CliRunner.Run("-f", "table", "-e", "exec", "--", "/bin/sh", "-c", $"/bin/true {token} {LongArg}");
        Assert.Equal(0, code);
        Assert.Contains($"/bin/true {token} {LongArg}\n", stdout, StringComparison.Ordinal);
    }

    [KernelTheory]
    [InlineData("table", "Time ")]
    [InlineData("tree", "procwatch: watching")]
    public void With_a_filter_that_matches_nothing_the_terminal_says_at_once_that_it_is_watching(string format, string shown)
    {
        using CliProcess p = PseudoTerminal.Start(100, "-f", format, "--match", "zzz-" + Token());
        Assert.True(p.WaitUntil(() => p.Stdout.Contains(shown, StringComparison.Ordinal), Deadline), $"nothing on the terminal:\n{p.Stdout}");
        p.Signal(CliRunner.SIGTERM);
        Assert.Equal(0, p.WaitForExit(Deadline));
    }

    [KernelFact]
    public void A_thread_exit_is_labelled_with_the_thread_id()
    {
        using CliProcess p = PseudoTerminal.Start(200, "-e", "all", "-p", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(p.WaitUntil(() => p.Stdout.Contains("Time ", StringComparison.Ordinal), Deadline), p.Stdout);
        int tid = 0;
        var thread = new Thread(() => tid = GetTid());
        thread.Start();
        thread.Join();

        // "exit   <tid> ... thread exit 0": the thread's id, and a label no process exit has.
        var line = new System.Text.RegularExpressions.Regex($@" exit +{tid} .*thread exit 0 ");
        Assert.True(p.WaitUntil(() => line.IsMatch(p.Stdout), Deadline), $"no thread exit line for {tid}:\n{p.Stdout}");
        p.Signal(CliRunner.SIGTERM);
        Assert.Equal(0, p.WaitForExit(Deadline));
    }

    [KernelFact]
    public void Events_on_a_pipe_and_the_commands_output_stay_apart()
    {
        string token = Token();
        using CliProcess p = CliRunner.Start("-f", "json", "--", "/bin/sh", "-c", $"echo said-{token}; /bin/true {token}");
        Assert.Equal(0, p.WaitForExit(Deadline));
        foreach (string line in p.StdoutLines())
            JsonDocument.Parse(line).Dispose(); // every stdout line is an event: `| jq` reads them all
        Assert.Contains($"\"{token}\"", p.Stdout, StringComparison.Ordinal);
        Assert.Contains($"said-{token}\n", p.Stderr, StringComparison.Ordinal);
    }

    [KernelFact]
    public void A_report_run_writes_only_the_report_and_leaves_the_commands_output_alone()
    {
        using var dir = new Daemon.TempDir();
        string report = dir.File("r.html");
        using CliProcess p = CliRunner.Start("--report", report, "--", "/bin/sh", "-c", "echo just-this; /bin/true");
        Assert.Equal(0, p.WaitForExit(Deadline));
        Assert.Equal("just-this\n", p.Stdout);
        Assert.True(new FileInfo(report).Length > 0);
    }

    [LibraryImport("libc", EntryPoint = "gettid")]
    private static partial int GetTid();
}
