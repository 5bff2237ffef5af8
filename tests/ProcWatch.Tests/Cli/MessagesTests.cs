using System.Text.Json;
using System.Text.RegularExpressions;
using ProcWatch.Tests.Daemon;
using ProcWatch.Tests.Helpers;
using Xunit;

namespace ProcWatch.Tests.Cli;

/// <summary>
/// What a new user reads: help that shows what each command takes, usage errors that point
/// the way, report and daemon messages that name the user's own paths and count as the
/// daemon counts, log lines without our class names, doctor's JSON saying what its text says.
/// </summary>
[Collection("daemon")]
public sealed partial class MessagesTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [KernelTheory]
    [InlineData("doctor", "procwatch doctor [options]")]
    [InlineData("report", "procwatch report <EVENTS>... [options]")]
    [InlineData("sigma", "procwatch sigma <command> [options]")]
    [InlineData("sigma check", "procwatch sigma check <PATH>... [options]")]
    [InlineData("fleet", "procwatch fleet <command> [options]")]
    [InlineData("fleet schema", "procwatch fleet schema [options]")]
    [InlineData("daemon", "procwatch daemon [options]")]
    [InlineData("status", "procwatch status [options]")]
    public void Subcommand_help_shows_the_subcommands_own_usage(string command, string usage)
    {
        (int code, string stdout, _) = CliRunner.Run([.. command.Split(' '), "--help"]);
        Assert.Equal(0, code);
        Assert.Contains("Usage:\n  " + usage + "\n", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("<COMMAND>", stdout, StringComparison.Ordinal);
    }

    [KernelFact]
    public void Report_without_a_file_says_what_is_missing_and_how_report_is_used()
    {
        (int code, string stdout, string stderr) = CliRunner.Run("report");
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Equal("procwatch: report: missing <EVENTS> (usage: procwatch report <EVENTS>... [options]; see procwatch report --help)\n", stderr);
    }

    [KernelTheory]
    [InlineData("--fromat", "--format")]
    [InlineData("--mach", "--match")]
    [InlineData("--evnets", "--events")]
    public void A_mistyped_option_gets_a_did_you_mean(string typo, string meant)
    {
        (int code, _, string stderr) = CliRunner.Run(typo, "x");
        Assert.Equal(2, code);
        Assert.Equal($"procwatch: unrecognized option '{typo}' (did you mean {meant}? see procwatch --help)\n", stderr);
    }

    [KernelFact]
    public void Report_into_a_missing_directory_names_the_users_path_not_a_temporary_one()
    {
        using var dir = new TempDir();
        string events = dir.Write("events.json", Report.ReportFixtures.Exit(600, 1, Report.ReportFixtures.T(1), 0) + "\n");
        (int code, _, string stderr) = CliRunner.Run("report", events, "-o", "/nonexistent-pw/dir/r.html");
        Assert.Equal(5, code);
        Assert.Equal("procwatch: cannot write report /nonexistent-pw/dir/r.html: no such directory /nonexistent-pw/dir\n", stderr);
    }

    [KernelFact]
    public void Report_of_a_file_without_events_is_an_error_not_an_empty_report()
    {
        using var dir = new TempDir();
        string garbage = dir.Write("garbage.bin", "this is not\nJSON at all\n");
        string html = dir.File("r.html");
        (int code, string stdout, string stderr) = CliRunner.Run("report", garbage, "-o", html);
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.Equal($"procwatch: no events in {garbage}: 2 line(s), none of them an ECS JSON event (as written by procwatch -f json or the daemon)\n", stderr);
        Assert.False(File.Exists(html));
    }

    [KernelFact]
    public void A_report_run_names_the_traced_command_not_its_deleted_recording()
    {
        using var dir = new TempDir();
        string html = dir.File("r.html");
        (int code, _, string stderr) = CliRunner.Run("--report", html, "--", "/bin/sh", "-c", "/bin/true");
        Assert.True(code == 0, stderr);
        string page = File.ReadAllText(html);
        Assert.Contains("live trace of: /bin/sh -c /bin/true", page, StringComparison.Ordinal);
        Assert.DoesNotContain("procwatch-report-", page, StringComparison.Ordinal);
    }

    [KernelFact]
    public void Check_config_refuses_a_directory_as_an_output_file()
    {
        using var dir = new TempDir();
        string config = dir.Write("config.yaml", $"""
            outputs:
              - type: file
                path: {dir.Path}
            """);
        foreach (string[] command in new[] { new[] { "daemon", "--check-config", "--config", config }, new[] { "daemon", "--config", config } })
        {
            (int code, _, string stderr) = CliRunner.Run(command);
            Assert.Equal(6, code);
            Assert.Equal($"procwatch: {config}: line 2: the output {dir.Path} is a directory (name a file in it, e.g. {dir.Path}/events.json)\n", stderr);
        }
    }

    [KernelFact]
    public void Check_config_counts_rules_as_the_daemon_does_with_sigma_and_logs_without_class_names()
    {
        using var dir = new TempDir();
        string rules = Directory.CreateDirectory(dir.File("sigma")).FullName;
        File.WriteAllText(Path.Combine(rules, "rule.yml"), """
            title: Test rule
            id: 7d1a3f00-0000-4000-8000-25250000aaaa
            logsource:
                product: linux
                category: process_creation
            detection:
                selection:
                    Image|endswith: '/pw-never-runs-25'
                condition: selection
            level: low
            """);
        string config = dir.Write("config.yaml", $"""
            events: [exec]
            outputs:
              - type: file
                path: {dir.File("events.json")}
            health:
              socket: {dir.File("status.sock")}
              interval: 0
            rules:
              - name: own
                match: {"{"}args: "pw-never-runs-25"{"}"}
                actions: [alert]
            sigma:
              - {rules}
            """);
        (int code, string stdout, string stderr) = CliRunner.Run("daemon", "--check-config", "--config", config);
        Assert.True(code == 0, stderr);
        Assert.Equal($"procwatch: {config}: valid (1 output(s), 2 rule(s))\n", stdout);

        using var daemon = DaemonUnderTest.Start(config);
        daemon.WaitForStderr("ready:", Deadline);
        string ready = Assert.Single(daemon.Stderr.Split('\n'), l => l.Contains("ready:", StringComparison.Ordinal));
        Assert.Contains(", 2 rule(s);", ready, StringComparison.Ordinal);
        // "2026-12-07T06:21:45.123Z info: ready: ...": no "ProcWatch.Daemon.Hosting.DaemonService[1]".
        Assert.Matches(LogLine(), ready);
        Assert.DoesNotContain("ProcWatch.", daemon.Stderr, StringComparison.Ordinal);

        // status finds the socket from the same configuration.
        (int statusCode, string status, string statusErr) = CliRunner.Run("status", "--config", config);
        Assert.True(statusCode == 0, statusErr);
        Assert.Contains("events_total", status, StringComparison.Ordinal);
    }

    [KernelFact]
    public void Status_with_a_config_looks_at_its_health_socket()
    {
        using var dir = new TempDir();
        string socket = dir.File("elsewhere.sock");
        string config = dir.Write("config.yaml", $"""
            health:
              socket: {socket}
            """);
        (int code, _, string stderr) = CliRunner.Run("status", "--config", config);
        Assert.Equal(1, code);
        Assert.StartsWith($"procwatch: no daemon is listening on {socket} ", stderr, StringComparison.Ordinal);
    }

    [KernelFact]
    public void Doctor_json_says_hidepid_as_the_text_does()
    {
        (_, string text, _) = CliRunner.Run("doctor");
        (_, string json, _) = CliRunner.Run("doctor", "--json");
        using JsonDocument doc = JsonDocument.Parse(json);
        JsonElement hidepid = doc.RootElement.GetProperty("namespace").GetProperty("hidepid");
        Assert.Equal(JsonValueKind.String, hidepid.ValueKind);
        if (text.Contains("hidepid off", StringComparison.Ordinal))
            Assert.Equal("off", hidepid.GetString());
        else
            Assert.Contains(hidepid.GetString()!, text, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z info: ready: ")]
    private static partial Regex LogLine();
}
