using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using ProcWatch.Interop;
using Xunit;

namespace ProcWatch.Tests.Daemon.ClickHouse;

/// <summary>
/// A private standalone ZooKeeper (Debian's 3.8, installed by test.sh) as a child on a loopback
/// port, with its own data directory. Stop and Start keep the data, so a test can take it away
/// in the middle of a burst (ClickHouse's replicated tables go read-only meanwhile).
/// </summary>
internal sealed class ZooKeeperServer : IDisposable
{
    public const string Jar = "/usr/share/java/zookeeper.jar";
    private readonly string _directory;
    private Process? _process;

    public ZooKeeperServer()
    {
        Assert.True(File.Exists(Jar), $"{Jar} is missing: ./test.sh installs zookeeper (scripts/setup.sh zookeeper)");
        _directory = Directory.CreateTempSubdirectory("procwatch-zookeeper-").FullName;
        Port = ClickHouseServer.FreePort();
        Directory.CreateDirectory(Path.Combine(_directory, "data"));
        File.WriteAllText(Path.Combine(_directory, "zoo.cfg"), $"""
            tickTime=2000
            dataDir={_directory}/data
            clientPort={Port}
            clientPortAddress=127.0.0.1
            admin.enableServer=false
            4lw.commands.whitelist=srvr
            maxClientCnxns=200
            """);
    }

    public int Port { get; }

    public void Start()
    {
        Assert.Null(_process);
        var psi = new ProcessStartInfo("java") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _directory };
        foreach (string a in (string[])["-Xmx192m", "-cp", "/usr/share/java/*", "org.apache.zookeeper.server.quorum.QuorumPeerMain", Path.Combine(_directory, "zoo.cfg")])
            psi.ArgumentList.Add(a);
        _process = Process.Start(psi)!;
        var log = new StringBuilder();
        _process.OutputDataReceived += (_, e) => { lock (log) if (log.Length < 20_000) log.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { lock (log) if (log.Length < 20_000) log.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var clock = Stopwatch.StartNew();
        while (!Srvr().Contains("Mode: standalone", StringComparison.Ordinal))
        {
            Assert.False(_process.HasExited, "zookeeper exited at start: " + log);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(90), "zookeeper did not answer srvr within 90 s: " + log);
            Thread.Sleep(100);
        }
    }

    /// <summary>The four-letter <c>srvr</c> command's answer, or "" when nothing answers.</summary>
    public string Srvr()
    {
        try
        {
            using var client = new TcpClient();
            client.ReceiveTimeout = client.SendTimeout = 2000;
            client.Connect("127.0.0.1", Port);
            NetworkStream stream = client.GetStream();
            stream.Write("srvr"u8);
            using var reader = new StreamReader(stream, Encoding.ASCII);
            return reader.ReadToEnd();
        }
        catch (Exception ex) when (ex is SocketException or IOException)
        {
            return "";
        }
    }

    /// <summary>SIGTERM (SIGKILL after 20 s); the data directory stays.</summary>
    public void Stop()
    {
        if (_process is null)
            return;
        if (!_process.HasExited)
        {
            _ = Libc.Kill(_process.Id, 15);
            if (!_process.WaitForExit(20_000))
                _process.Kill();
            _process.WaitForExit();
        }
        _process.Dispose();
        _process = null;
    }

    /// <summary>The &lt;zookeeper&gt; section of a clickhouse-server config.</summary>
    public string ClickHouseXml => $"<zookeeper><node><host>127.0.0.1</host><port>{Port}</port></node><session_timeout_ms>30000</session_timeout_ms></zookeeper>";

    public void Dispose()
    {
        Stop();
        try { Directory.Delete(_directory, recursive: true); }
        catch (IOException) { }
    }
}
