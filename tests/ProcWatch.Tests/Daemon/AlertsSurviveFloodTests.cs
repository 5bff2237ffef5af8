using System.Text.RegularExpressions;
using ProcWatch.Tests.Helpers;
using System.Text.Json;
using Xunit;
using Xunit.Abstractions;
using ProcWatch.Tests.Integration;

namespace ProcWatch.Tests.Daemon;

/// <summary>
/// H6 (issue 20): after one alert, an unprivileged user floods the record with long-argv execs
/// (scaled down: a 64 KB × 3 rotation set, a 256 KB per-minute flood bound). The events files
/// rotate the alert away, but the alerts file keeps it, and the flood itself raises an alert
/// naming the user, with what was cut counted.
/// </summary>
[Collection("daemon")]
public sealed class AlertsSurviveFloodTests(ITestOutputHelper output)
{
    [KernelFact]
    public void An_alert_outlives_a_flood_and_the_flood_names_its_user()
    {
        using var dir = new TempDir();
        string config = dir.Write("config.yaml", $"""
            events: [exec, exit]
            outputs:
              - type: file
                path: {dir.File("events.json")}
                max_size: 64KB
                keep: 2
            health:
              socket: {dir.File("status.sock")}
              interval: 0
            flood:
              bytes_per_minute: 256KB
            rules:
              - name: pwalert
                match: {"{"}name: "pwalert"{"}"}
                actions: [alert]
            """);
        File.Copy("/bin/true", dir.File("pwalert"));
        using var daemon = DaemonUnderTest.Start(config);
        string alerts = dir.File("events.alerts.json");

        Spawn.Run(dir.File("pwalert"), []);
        Poll.Until(() => File.Exists(alerts) && EventFiles.ReadShared(alerts).Contains("\"pwalert\"", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30), () => "the pwalert alert never reached the alerts file:\n" + daemon.Stderr);
        Poll.Until(() => EventFiles.Lines(dir.Path).Any(l => l.Contains("\"pwalert\"", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30), () => "the pwalert alert never reached the events file");

        // nobody (65534): 120 execs of /bin/true with 8 × 12 KB arguments, 11 MB of argv.
        using (var flooder = Spawn.Start("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "/bin/bash", "-c",
            "a=$(head -c 12000 /dev/zero | tr '\\0' x); for i in $(seq 120); do /bin/true $a $a $a $a $a $a $a $a; done"]))
        {
            Assert.True(flooder.WaitForExit(300_000), "the flood did not finish");
            Assert.Equal(0, flooder.ExitCode);
        }

        string status = "";
        Poll.Until(() =>
        {
            status = Cli.Run("status", "--socket", dir.File("status.sock"), "--raw").Stdout;
            // The daemon watches the whole host: other users (a build as root) may flood the small test bound too.
            return EventFiles.ReadShared(alerts).Contains("user nobody (uid 65534)", StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(60), () => "no flood alert:\n" + status + daemon.Stderr);
        // Let the daemon count the flood's cuts before reading. (It was a wait for the cut event in
        // the events files, but they keep 3 × 64 KB: a busy host's own events rotate that line out
        // before a poll sees it.)
        Poll.Until(() =>
        {
            status = Cli.Run("status", "--socket", dir.File("status.sock"), "--raw").Stdout;
            return Regex.IsMatch(status, @"procwatch_flood_cut_events_total [1-9]") && Regex.IsMatch(status, @"procwatch_flood_cut_bytes_total [1-9]");
        }, TimeSpan.FromSeconds(60), () => "no cut counted:\n" + status);

        List<string> eventLines = EventFiles.Lines(dir.Path);
        string[] alertLines = EventFiles.ReadShared(alerts).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        output.WriteLine($"{eventLines.Count} event lines left, {alertLines.Length} alert lines; status:\n{status}");

        Assert.DoesNotContain(eventLines, l => l.Contains("\"pwalert\"", StringComparison.Ordinal)); // the flood did rotate it out of the events
        Assert.Contains(alertLines, l => l.Contains("\"name\":\"pwalert\"", StringComparison.Ordinal));
        JsonElement flood = JsonDocument.Parse(alertLines.First(l => l.Contains("\"procwatch-flood\"", StringComparison.Ordinal)
            && l.Contains("(uid 65534)", StringComparison.Ordinal))).RootElement;
        Assert.Equal("alert", flood.GetProperty("event").GetProperty("kind").GetString());
        string description = flood.GetProperty("rule").GetProperty("description").GetString()!;
        Assert.Contains("user nobody (uid 65534)", description, StringComparison.Ordinal);
        Assert.Equal("65534", flood.GetProperty("process").GetProperty("real_user").GetProperty("id").GetString());
        Assert.Contains("flood: user nobody (uid 65534)", daemon.Stderr, StringComparison.Ordinal);
        Assert.Matches(@"procwatch_flood_cut_events_total [1-9]", status);
        Assert.Matches(@"procwatch_flood_cut_bytes_total [1-9]", status);
    }
}
