using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using ProcWatch.Interop;
using Xunit;

namespace ProcWatch.Tests.Daemon.ClickHouse;

/// <summary>
/// A private clickhouse-server (Debian's 18.16, installed by test.sh) run as a child on
/// loopback: its own data directory, free ports, its own users (default without password,
/// procwatch / s3cret). Stop and Start keep the data, so a test can take the server away
/// mid-burst. <paramref name="clusterXml"/> is a remote_servers section for cluster tests.
/// </summary>
internal sealed class ClickHouseServer : IDisposable
{
    public const string Binary = "/usr/sbin/clickhouse-server";
    public const string User = "procwatch";
    public const string Password = "s3cret";
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly string _directory;
    private Process? _process;

    /// <param name="extraXml">More top-level config (zookeeper, macros, distributed_ddl) for replicated clusters.</param>
    public ClickHouseServer(string? clusterXml = null, int? tcpPort = null, string? extraXml = null)
    {
        Assert.True(File.Exists(Binary), $"{Binary} is missing: ./test.sh installs clickhouse-server (scripts/setup.sh clickhouse-server)");
        _directory = Directory.CreateTempSubdirectory("procwatch-clickhouse-").FullName;
        HttpPort = FreePort();
        TcpPort = tcpPort ?? FreePort();
        File.WriteAllText(Path.Combine(_directory, "config.xml"), $"""
            <?xml version="1.0"?>
            <yandex>
              <logger><level>warning</level><log>{_directory}/server.log</log><errorlog>{_directory}/error.log</errorlog><console>0</console></logger>
              <listen_host>127.0.0.1</listen_host>
              <http_port>{HttpPort}</http_port>
              <tcp_port>{TcpPort}</tcp_port>
              <interserver_http_port>{FreePort()}</interserver_http_port>
              <interserver_http_host>127.0.0.1</interserver_http_host>
              <path>{_directory}/data/</path>
              <tmp_path>{_directory}/tmp/</tmp_path>
              <user_files_path>{_directory}/user_files/</user_files_path>
              <format_schema_path>{_directory}/format_schemas/</format_schema_path>
              <mark_cache_size>5368709120</mark_cache_size>
              <max_concurrent_queries>100</max_concurrent_queries>
              <users_config>users.xml</users_config>
              <default_profile>default</default_profile>
              <default_database>default</default_database>
              <timezone>UTC</timezone>
              <remote_servers>{clusterXml}</remote_servers>
              {extraXml}
            </yandex>
            """);
        File.WriteAllText(Path.Combine(_directory, "users.xml"), $"""
            <?xml version="1.0"?>
            <yandex>
              <profiles><default></default></profiles>
              <users>
                <default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default>
                <{User}><password>{Password}</password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></{User}>
              </users>
              <quotas><default></default></quotas>
            </yandex>
            """);
    }

    public int HttpPort { get; }

    public int TcpPort { get; }

    public Uri Url => new($"http://127.0.0.1:{HttpPort}/");

    public string DataDirectory => Path.Combine(_directory, "data");

    /// <summary>
    /// Starts the server and waits for its /ping. A server that exits while starting is started
    /// again, twice at most, with <c>flags/force_restore_data</c>: a replica SIGKILLed mid-insert
    /// died again at restart in a loaded full run, in its replicated table's constructor (most
    /// likely parts ZooKeeper never heard of, which 18.16 refuses to attach); the flag is
    /// ClickHouse's own way back (docs/fleet.md). The events are still checked exactly once.
    /// </summary>
    public void Start()
    {
        Assert.Null(_process);
        for (int attempt = 1; ; attempt++)
        {
            if (TryStart(out string why))
                return;
            Assert.True(attempt < 3, why);
            _process!.Dispose();
            _process = null;
            Console.Error.WriteLine($"clickhouse-server in {_directory} did not start ({why}); starting it again with force_restore_data");
            Directory.CreateDirectory(Path.Combine(DataDirectory, "flags"));
            File.WriteAllText(Path.Combine(DataDirectory, "flags", "force_restore_data"), "");
        }
    }

    private bool TryStart(out string why)
    {
        why = "";
        var psi = new ProcessStartInfo(Binary) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _directory };
        psi.ArgumentList.Add("--config-file=" + Path.Combine(_directory, "config.xml"));
        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
            {
                why = $"clickhouse-server exited at start: {LastError()}";
                return false;
            }
            try
            {
                if (Http.GetStringAsync(new Uri(Url, "ping")).Result.StartsWith("Ok.", StringComparison.Ordinal))
                    return true;
            }
            catch (AggregateException) { }
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), "clickhouse-server did not answer /ping within 60 s: " + Tail("error.log"));
            Thread.Sleep(50);
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

    /// <summary>SIGKILL, as a crash or an OOM kill would end it; the data directory stays.</summary>
    public void Kill()
    {
        if (_process is null)
            return;
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }
        _process.Dispose();
        _process = null;
    }

    public bool Running => _process is { HasExited: false };

    /// <summary>A statement as the default user; its TabSeparated result, or the test fails with the server's message.</summary>
    public string Query(string sql)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Url) { Content = new StringContent(sql, Encoding.UTF8) };
        using HttpResponseMessage response = Http.Send(request);
        string body = response.Content.ReadAsStringAsync().Result;
        Assert.True(response.IsSuccessStatusCode, $"{sql}\n-> {(int)response.StatusCode}: {body}");
        return body.TrimEnd('\n');
    }

    public long Count(string sql) => long.Parse(Query(sql), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Runs a script of ';'-separated statements (what procwatch fleet schema prints).</summary>
    public void Apply(string script)
    {
        foreach (string statement in script.Split(";\n", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            Query(statement);
    }

    /// <summary>
    /// A loopback port free now, below the kernel's ephemeral range: a port the kernel picked
    /// (bind to 0) can be handed to some outgoing connection before the server binds it, and
    /// with the suites' many connections a server then failed to start ("exited at start").
    /// Never the same port twice in this process.
    /// </summary>
    public static int FreePort()
    {
        int below = EphemeralRangeStart();
        lock (HandedOut)
        {
            for (int attempt = 0; attempt < 1000; attempt++)
            {
                int port = Random.Shared.Next(10_000, below);
                if (!HandedOut.Add(port))
                    continue;
                try
                {
                    using var listener = new TcpListener(IPAddress.Loopback, port);
                    listener.Start();
                    return port;
                }
                catch (SocketException)
                {
                    // In use (another suite on this machine): try another.
                }
            }
        }
        using var any = new TcpListener(IPAddress.Loopback, 0);
        any.Start();
        return ((IPEndPoint)any.LocalEndpoint).Port;
    }

    private static readonly HashSet<int> HandedOut = [];

    private static int EphemeralRangeStart()
    {
        try
        {
            string range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range");
            int start = int.Parse(range.Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries)[0], System.Globalization.CultureInfo.InvariantCulture);
            return start > 11_000 ? start : 32_768;
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
        {
            return 32_768;
        }
    }

    /// <summary>The error log's last error line (the message; the stack trace follows it), not only the trace's end.</summary>
    private string LastError()
    {
        string path = Path.Combine(_directory, "error.log");
        if (!File.Exists(path)) return "(no error.log)";
        string? last = null;
        foreach (string line in File.ReadLines(path))
        {
            if (line.Contains("<Error>", StringComparison.Ordinal))
                last = line;
        }
        return last is null ? Tail("error.log") : last.Length > 1500 ? last[..1500] : last;
    }

    private string Tail(string log)
    {
        string path = Path.Combine(_directory, log);
        if (!File.Exists(path)) return "(no " + log + ")";
        string text = File.ReadAllText(path);
        return text.Length > 2000 ? text[^2000..] : text;
    }

    public void Dispose()
    {
        Stop();
        try { Directory.Delete(_directory, recursive: true); }
        catch (IOException) { }
    }
}

/// <summary>One server shared by the ClickHouse tests (each test uses its own table).</summary>
public sealed class ClickHouseFixture : IDisposable
{
    internal ClickHouseServer Server { get; } = new();

    public ClickHouseFixture() => Server.Start();

    public void Dispose() => Server.Dispose();
}

[CollectionDefinition("clickhouse")]
public sealed class ClickHouseCollection : ICollectionFixture<ClickHouseFixture>;
