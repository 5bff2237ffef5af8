using ProcWatch.Tests.Helpers;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Xunit;
using Xunit.Abstractions;
using ProcWatch.Tests.Integration;

namespace ProcWatch.Tests.Daemon;

/// <summary>
/// H9 (issue 20): the metrics endpoint tells a local stranger nothing about the rules, and a
/// stranger holding idle connections open (as nobody) cannot make a scrape time out.
/// </summary>
[Collection("daemon")]
public sealed class MetricsAccessTests(ITestOutputHelper output)
{
    private static string Config(TempDir dir, int port, string health = "") => $"""
        events: [exec, exit]
        outputs:
          - type: file
            path: {dir.File("events.json")}
        health:
          socket: {dir.File("status.sock")}
          interval: 0
          listen: 127.0.0.1:{port}
        {health}
        rules:
          - name: pwsecretrule
            match: {"{"}name: "pwsecret*"{"}"}
            actions: [alert]
        """;

    private static int FreePort() => ClickHouse.ClickHouseServer.FreePort();

    [KernelFact]
    public async Task Idle_connections_held_by_another_user_do_not_starve_a_scrape()
    {
        using var dir = new TempDir();
        int port = FreePort();
        using var daemon = DaemonUnderTest.Start(dir.Write("config.yaml", Config(dir, port)));
        // nobody opens a connection every 50 ms and holds each open, sending nothing (fds 10..250):
        // 50 at once, past the server's 32 waiting slots, then one every 200 ms while the scrapes
        // run. A scrape is closed only if 32 newer connections come before its request is read:
        // 6.4 s at that pace, not 1.6 s (a loaded host can take that long to read it).
        using Process attacker = Spawn.Start("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "/bin/bash", "-c",
            $"for fd in $(seq 10 250); do eval \"exec $fd<>/dev/tcp/127.0.0.1/{port}\" || exit 1; [ $fd = 60 ] && echo holding; if [ $fd -lt 60 ]; then sleep 0.05; else sleep 0.2; fi; done; sleep 30"]);
        try
        {
            string? first = await attacker.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(120));
            Assert.Equal("holding", first);
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };
            int served = 0;
            for (int i = 0; i < 10; i++)
            {
                string body = await http.GetStringAsync($"http://127.0.0.1:{port}/metrics"); // throws on a timeout
                Assert.Contains("# TYPE procwatch_events_total counter", body, StringComparison.Ordinal);
                served++;
            }
            output.WriteLine($"{served}/10 scrapes answered while nobody held connections open");
            Assert.False(attacker.HasExited, "the attacker stopped early: the test proved nothing");
        }
        finally
        {
            attacker.Kill();
            attacker.WaitForExit();
        }
    }

    [KernelFact]
    public async Task A_default_scrape_names_no_rule_and_the_token_or_status_socket_shows_them()
    {
        using var dir = new TempDir();
        int port = FreePort();
        string token = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        string tokenFile = dir.Write("metrics.token", token + "\n");
        File.SetUnixFileMode(tokenFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        using var daemon = DaemonUnderTest.Start(dir.Write("config.yaml", Config(dir, port, $"  metrics_token_file: {tokenFile}")));
        File.Copy("/bin/true", dir.File("pwsecret"));
        Spawn.Run(dir.File("pwsecret"), []);
        Poll.Until(() => Cli.Run("status", "--socket", dir.File("status.sock"), "--raw").Stdout.Contains("procwatch_rule_hits_total{rule=\"pwsecretrule\"} 1", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30), () => "the rule never counted its hit:\n" + daemon.Stderr);

        // As nobody, the way a local stranger reads it.
        (int code, string stranger, string error) = Run("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
            "/bin/bash", "-c", $"exec 3<>/dev/tcp/127.0.0.1/{port}; printf 'GET /metrics HTTP/1.0\\r\\n\\r\\n' >&3; cat <&3");
        Assert.True(code == 0, error);
        Assert.Contains("200 OK", stranger, StringComparison.Ordinal);
        Assert.Contains("procwatch_events_total{kind=\"exec\"}", stranger, StringComparison.Ordinal);
        Assert.DoesNotContain("pwsecret", stranger, StringComparison.Ordinal);
        Assert.DoesNotContain("procwatch_rule_hits_total", stranger, StringComparison.Ordinal);
        Assert.DoesNotContain("procwatch_alerts_total", stranger, StringComparison.Ordinal);

        using var http = new HttpClient();
        using var wrong = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}/metrics");
        wrong.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token[..^1] + "x");
        Assert.DoesNotContain("pwsecret", await (await http.SendAsync(wrong)).Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var right = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}/metrics");
        right.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        string full = await (await http.SendAsync(right)).Content.ReadAsStringAsync();
        Assert.Contains("procwatch_rule_hits_total{rule=\"pwsecretrule\"} 1", full, StringComparison.Ordinal);
    }

    [KernelFact]
    public void A_token_file_others_can_read_is_refused_in_one_line()
    {
        using var dir = new TempDir();
        string tokenFile = dir.Write("metrics.token", "0123456789abcdef0123\n");
        File.SetUnixFileMode(tokenFile, (UnixFileMode)0b110_100_100);
        using var daemon = Cli.Start("daemon", "--config", dir.Write("config.yaml", Config(dir, FreePort(), $"  metrics_token_file: {tokenFile}")));
        string stderr = daemon.StandardError.ReadToEnd();
        Assert.True(daemon.WaitForExit(30_000));
        Assert.NotEqual(0, daemon.ExitCode);
        Assert.Contains($"health.metrics_token_file {tokenFile} is readable or writable by others", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
    }

    private static (int Code, string Stdout, string Stderr) Run(string file, params string[] args)
    {
        using Process p = Spawn.Start(file, args);
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(60_000), $"{file} did not finish");
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
