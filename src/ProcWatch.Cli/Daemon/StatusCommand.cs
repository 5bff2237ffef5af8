using System.CommandLine;
using System.Net.Sockets;
using System.Text;
using ProcWatch.Daemon.Configuration;

namespace ProcWatch.Cli.Daemon;

/// <summary>
/// <c>procwatch status [--socket PATH] [--raw]</c>: reads the counters of a running daemon
/// from its status socket and prints them (or the raw Prometheus text).
/// </summary>
internal static class StatusCommand
{
    private static readonly Option<string> Socket = new("--socket")
    {
        Description = "The daemon's status socket (health.socket in its configuration)",
        DefaultValueFactory = _ => HealthSettings.DefaultSocket,
        HelpName = "PATH",
    };

    private static readonly Option<string?> Config = new("--config", "-c")
    {
        Description = "The daemon's configuration: its health.socket is the socket (when --socket is not given)",
        HelpName = "FILE",
    };

    private static readonly Option<bool> Raw = new("--raw")
    {
        Description = "Print the Prometheus text as the daemon sends it",
    };

    public static Command Build()
    {
        var command = new Command("status", "Print the counters of a running daemon") { Socket, Config, Raw };
        SubcommandHelp.Attach(command);
        command.SetAction((result, token) => RunAsync(SocketPath(result), result.GetValue(Raw), token));
        return command;
    }

    /// <summary>--socket when given, else the health.socket of --config, else the default.</summary>
    private static string SocketPath(ParseResult result)
    {
        if (result.GetResult(Socket) is { Implicit: false } || result.GetValue(Config) is not { } configPath)
            return result.GetValue(Socket)!;
        return ConfigLoader.Load(configPath).Health.Socket
            ?? throw new UsageException($"{configPath} turns the status socket off (health.socket: none)");
    }

    private static async Task<int> RunAsync(string path, bool raw, CancellationToken cancellationToken)
    {
        string text;
        try
        {
            using var socket = new System.Net.Sockets.Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(TimeSpan.FromSeconds(5));
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), deadline.Token).ConfigureAwait(false);
            using var stream = new NetworkStream(socket, ownsSocket: false);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            text = await reader.ReadToEndAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException)
        {
            await Console.Error.WriteLineAsync(ErrorLine.Format(WhyNoAnswer(path, ex))).ConfigureAwait(false);
            return ExitCodes.Failure;
        }
        await Console.Out.WriteAsync(raw ? text : Summarise(text)).ConfigureAwait(false);
        return ExitCodes.Success;
    }

    /// <summary>In words, not the socket layer's ("Cannot assign requested address" is ENOENT on a unix socket).</summary>
    internal static string WhyNoAnswer(string path, Exception error)
    {
        if (error is SocketException socket)
        {
            if (!File.Exists(path))
                return $"no daemon is listening on {path} (no such socket; is procwatch daemon running, and is this its health.socket?)";
            return socket.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => $"no daemon is listening on {path} (the socket is left over from a daemon that is gone)",
                SocketError.AccessDenied => $"cannot connect to {path}: permission denied (run as root or a member of the socket's group)",
                _ => $"no daemon answers on {path}: {socket.Message}",
            };
        }
        return error is OperationCanceledException
            ? $"the daemon on {path} did not answer within 5 s"
            : $"no daemon answers on {path}: {error.Message}";
    }

    /// <summary>The samples without the HELP/TYPE comments, values aligned.</summary>
    internal static string Summarise(string prometheus)
    {
        var samples = new List<(string Name, string Value)>();
        int width = 0;
        foreach (string line in prometheus.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#')
                continue;
            int space = line.LastIndexOf(' ');
            if (space <= 0)
                continue;
            string name = line[..space];
            if (name.StartsWith("procwatch_", StringComparison.Ordinal))
                name = name["procwatch_".Length..];
            samples.Add((name, line[(space + 1)..]));
            width = Math.Max(width, name.Length);
        }
        var sb = new StringBuilder();
        foreach ((string name, string value) in samples)
            sb.Append(name.PadRight(width + 2)).Append(value).Append('\n');
        return sb.ToString();
    }
}
