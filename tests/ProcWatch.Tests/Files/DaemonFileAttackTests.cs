using ProcWatch.Tests.Daemon;
using DaemonCli = ProcWatch.Tests.Daemon.Cli;
using ProcWatch.Tests.Helpers;
using ProcWatch.Tests.Integration;
using Xunit;

namespace ProcWatch.Tests.Files;

/// <summary>
/// Issue 20, H2: the daemon's file output, its reopening and rotation, and the status
/// socket's lock, in a directory where an unprivileged user plants links first.
/// </summary>
public sealed class DaemonFileAttackTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private readonly AttackerScene _scene = new();

    public void Dispose() => _scene.Dispose();

    private string Config(string output, string socket, string maxSize = "100MB", int keep = 10) =>
        _scene.Write("config.yaml", $"""
            events: [exec, exit]
            outputs:
              - type: file
                path: {output}
                max_size: {maxSize}
                keep: {keep}
            health:
              socket: {socket}
              interval: 0
            """);

    /// <summary>The daemon must refuse to start: one line, exit 7.</summary>
    private static string RefusesToStart(string config)
    {
        var (code, _, stderr) = DaemonCli.Run("daemon", "--config", config);
        Assert.True(code == 7, $"exit {code}: {stderr}");
        return stderr;
    }

    [KernelFact]
    public void H2_a_link_planted_at_the_file_output_stops_the_start()
    {
        string output = _scene.InShared("events.json");
        _scene.AsAttacker($"ln -s '{_scene.Victim}' events.json");

        string stderr = RefusesToStart(Config(output, _scene.Private("status.sock")));

        Assert.Contains($"procwatch: refusing {output}: is a symbolic link (owned by uid 65534); procwatch never writes through one\n", stderr);
        _scene.AssertVictimUntouched();
    }

    [KernelFact]
    public void H2_a_link_planted_at_the_status_socket_lock_is_neither_truncated_nor_written()
    {
        string socket = _scene.InShared("pw.sock");
        _scene.AsAttacker($"ln -s '{_scene.Victim}' pw.sock.lock");

        string stderr = RefusesToStart(Config(_scene.Private("events.json"), socket));

        Assert.Contains($"procwatch: health.socket: refusing {socket}.lock: is a symbolic link (owned by uid 65534); procwatch never writes through one\n", stderr);
        _scene.AssertVictimUntouched();
    }

    [KernelFact]
    public void H2_a_status_socket_in_the_attackers_directory_is_refused()
    {
        _scene.AsAttacker("mkdir -m 777 run");
        string socket = Path.Combine(_scene.InShared("run"), "pw.sock");

        string stderr = RefusesToStart(Config(_scene.Private("events.json"), socket));

        Assert.Contains($"procwatch: health.socket: refusing {_scene.InShared("run")}: belongs to uid 65534, who could replace what procwatch writes in it; use a directory of root's\n", stderr);
    }

    /// <summary>
    /// logrotate moved the file away; before the SIGHUP that reopens it the attacker plants a
    /// link at its name. The daemon says so and never writes through it.
    /// </summary>
    [KernelFact]
    public void H2_a_link_planted_before_the_reopen_is_refused()
    {
        string output = _scene.InShared("events.json");
        using var daemon = DaemonUnderTest.Start(Config(output, _scene.Private("status.sock")));
        int before = Spawn.Sh("exit 3");
        Poll.Until(() => EventFiles.ForPids(EventFiles.Lines(_scene.Shared, "events.json"), new HashSet<int> { before }).Count > 0, Deadline, () => daemon.Stderr);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, AttackerScene.Mode(output));

        File.Move(output, _scene.InShared("events.json.rotated"));
        _scene.AsAttacker($"ln -s '{_scene.Victim}' events.json");
        daemon.Signal(DaemonUnderTest.SIGHUP);
        daemon.WaitForStderr($"cannot reopen: refusing {output}: is a symbolic link", Deadline);
        for (int i = 0; i < 5; i++)
            Spawn.Sh("exit 4");
        daemon.Signal(DaemonUnderTest.SIGTERM);
        daemon.WaitForExit(Deadline);
        _scene.AssertVictimUntouched();
    }

    /// <summary>Rotation renames inside the held directory: links planted at the rotated names are replaced, never followed.</summary>
    [KernelFact]
    public void H2_links_planted_at_the_rotated_names_are_replaced_not_followed()
    {
        string output = _scene.InShared("events.json");
        _scene.AsAttacker($"ln -s '{_scene.Victim}' events.json.1 && ln -s '{_scene.Victim}' events.json.2");
        using var daemon = DaemonUnderTest.Start(Config(output, _scene.Private("status.sock"), maxSize: "2KB", keep: 2));
        Poll.Until(() =>
        {
            Spawn.Sh("exit 5");
            return new FileInfo(output + ".2") is { LinkTarget: null, Exists: true };
        }, Deadline, () => daemon.Stderr);
        _scene.AssertVictimUntouched();
        foreach (string rotated in new[] { output + ".1", output + ".2" })
        {
            Assert.Null(new FileInfo(rotated).LinkTarget);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, AttackerScene.Mode(rotated));
        }
    }
}
