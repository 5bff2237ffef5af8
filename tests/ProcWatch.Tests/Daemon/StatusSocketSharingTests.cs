using ProcWatch.Tests.Helpers;
using System.Net.Sockets;
using Xunit;

namespace ProcWatch.Tests.Daemon;

/// <summary>B3: a second daemon on the same health.socket is refused and never takes or deletes the first's socket.</summary>
[Collection("daemon")]
public sealed class StatusSocketSharingTests
{
    private static string Config(TempDir dir, string name, string socket) => dir.Write(name + ".yaml", $"""
        events: [exec]
        outputs:
          - type: file
            path: {dir.File(name + ".json")}
        health:
          socket: {socket}
          interval: 0
        """);

    [KernelFact]
    public void A_second_daemon_on_the_same_socket_is_refused_and_the_first_keeps_it()
    {
        using var dir = new TempDir();
        string socket = dir.File("status.sock");
        using var first = DaemonUnderTest.Start(Config(dir, "first", socket));

        (int code, _, string stderr) = Cli.Run("daemon", "--config", Config(dir, "second", socket));
        Assert.Equal(1, code);
        Assert.Equal($"procwatch: health.socket {socket} is in use (the daemon with pid {first.Pid} holds {socket}.lock); " +
            "stop that daemon or give this one its own health.socket", stderr.TrimEnd('\n').Split('\n')[^1]);

        Assert.True(File.Exists(socket));
        (int status, string text, _) = Cli.Run("status", "--socket", socket);
        Assert.Equal(0, status);
        Assert.Contains($"pid=\"{first.Pid}\"", text, StringComparison.Ordinal);
    }

    [KernelFact]
    public void A_socket_another_program_answers_on_is_not_replaced()
    {
        using var dir = new TempDir();
        string path = dir.File("taken.sock");
        using var other = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        other.Bind(new UnixDomainSocketEndPoint(path));
        other.Listen(1);

        (int code, _, string stderr) = Cli.Run("daemon", "--config", Config(dir, "daemon", path));
        Assert.Equal(1, code);
        Assert.EndsWith($"health.socket {path} is in use (another process is listening on it); stop that daemon or give this one its own health.socket",
            stderr.TrimEnd('\n'), StringComparison.Ordinal);
        using var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        client.Connect(new UnixDomainSocketEndPoint(path)); // still the other program's
    }

    [KernelFact]
    public void A_stale_socket_file_is_replaced_and_removed_at_stop()
    {
        using var dir = new TempDir();
        string path = dir.File("stale.sock");
        using (var dead = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
            dead.Bind(new UnixDomainSocketEndPoint(path)); // closed: nobody answers
        using (var daemon = DaemonUnderTest.Start(Config(dir, "daemon", path)))
        {
            Assert.Equal(0, Cli.Run("status", "--socket", path).ExitCode);
            daemon.Signal(DaemonUnderTest.SIGTERM);
            Assert.Equal(0, daemon.WaitForExit(TimeSpan.FromSeconds(30)));
        }
        Assert.False(File.Exists(path));
    }
}
