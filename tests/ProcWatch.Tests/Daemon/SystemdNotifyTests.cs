using ProcWatch.Tests.Helpers;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using ProcWatch.Interop;
using Xunit;

namespace ProcWatch.Tests.Daemon;

/// <summary>
/// `Type=notify` in packaging/procwatch.service: under systemd the daemon tells the manager
/// READY=1 once it is subscribed, and STOPPING=1 when asked to stop. The host recognises a
/// systemd service by its parent's name, so the test starts the daemon from a shell copied
/// under the name "systemd", with NOTIFY_SOCKET pointing at a datagram socket of its own.
/// </summary>
public sealed class SystemdNotifyTests
{
    [KernelFact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void UnderSystemd_ReadyOnlyOnceSubscribed_AndStoppingOnSigterm()
    {
        using var dir = new TempDir();
        string events = dir.File("events.json");
        string config = dir.Write("procwatch.yaml", $"outputs:\n  - type: file\n    path: {events}\n");
        string manager = dir.File("systemd");
        File.Copy("/bin/sh", manager);
        File.SetUnixFileMode(manager, (UnixFileMode)0b111_101_101);
        string socketPath = dir.File("notify.sock");
        using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(socketPath));

        (string file, List<string> args) = Cli.Command("daemon", "--config", config);
        var psi = new ProcessStartInfo(manager) { RedirectStandardError = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("\"$@\"; exit $?"); // a child (not exec): its parent stays "systemd"
        psi.ArgumentList.Add("systemd");
        psi.ArgumentList.Add(file);
        foreach (string a in args)
            psi.ArgumentList.Add(a);
        psi.Environment["NOTIFY_SOCKET"] = socketPath;
        using Process shell = Process.Start(psi)!;
        Task<string> stderr = shell.StandardError.ReadToEndAsync();
        try
        {
            Assert.Contains("READY=1", Receive(socket, TimeSpan.FromSeconds(30), stderr));

            // Ready means subscribed: a program started right now is recorded.
            string token = "pw-notify-" + Guid.NewGuid().ToString("N")[..8];
            Integration.Spawn.Start("/bin/true", [token]).WaitForExit();
            Poll.Until(() => File.Exists(events) && File.ReadAllText(events).Contains(token, StringComparison.Ordinal),
                TimeSpan.FromSeconds(10), () => "the exec after READY=1 was not recorded");

            int daemon = int.Parse(File.ReadAllText($"/proc/{shell.Id}/task/{shell.Id}/children").Trim(), System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(0, Libc.Kill(daemon, DaemonUnderTest.SIGTERM));
            Assert.Contains("STOPPING=1", Receive(socket, TimeSpan.FromSeconds(30), stderr));
            Assert.True(shell.WaitForExit(30_000));
            Assert.Equal(0, shell.ExitCode);
        }
        finally
        {
            if (!shell.HasExited)
                shell.Kill(entireProcessTree: true);
        }
    }

    private static string Receive(Socket socket, TimeSpan timeout, Task<string> stderr)
    {
        socket.ReceiveTimeout = (int)timeout.TotalMilliseconds;
        byte[] buffer = new byte[4096];
        try
        {
            int n = socket.Receive(buffer);
            return Encoding.UTF8.GetString(buffer, 0, n);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.TimedOut)
        {
            Assert.Fail($"no sd_notify message in {timeout}; daemon stderr so far: {(stderr.IsCompleted ? stderr.Result : "(running)")}");
            return "";
        }
    }
}
