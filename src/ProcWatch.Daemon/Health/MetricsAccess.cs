using System.Security.Cryptography;
using System.Text;

namespace ProcWatch.Daemon.Health;

/// <summary>How much of the counters a metrics client may read.</summary>
internal enum MetricsView
{
    /// <summary>The host's counters (events, losses, outputs): nothing that tells an attacker whether a rule saw them.</summary>
    Public,
    /// <summary>Everything, with rule names, hits, alerts, actions and kills.</summary>
    Full,
}

/// <summary>
/// Who reads what on the HTTP endpoint. Any local user can connect to a loopback port, and the
/// detection counters (which rule fired, how often; alerts; kills) would let one test whether an
/// evasion worked, so by default HTTP serves only <see cref="MetricsView.Public"/>. A client
/// that presents the token of <c>health.metrics_token_file</c> (<c>Authorization: Bearer …</c>,
/// what Prometheus's <c>authorization.credentials_file</c> sends) reads everything;
/// <c>health.rule_metrics: true</c> gives everything to everyone (the admin's explicit choice).
/// The status socket (0660) always serves everything.
/// </summary>
internal sealed class MetricsAccess
{
    private readonly byte[]? _token;
    private readonly bool _everyoneFull;

    private MetricsAccess(byte[]? token, bool everyoneFull)
    {
        _token = token;
        _everyoneFull = everyoneFull;
    }

    public static MetricsAccess PublicOnly { get; } = new(null, false);

    /// <exception cref="ProcWatchException">The token file is missing, empty, or readable by others.</exception>
    public static MetricsAccess Create(string? tokenFile, bool ruleMetricsForEveryone)
    {
        if (tokenFile is null)
            return new MetricsAccess(null, ruleMetricsForEveryone);
        string token;
        try
        {
            using var handle = File.OpenHandle(tokenFile, FileMode.Open, FileAccess.Read);
            UnixFileMode mode = File.GetUnixFileMode(handle);
            if ((mode & (UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.GroupWrite)) != 0)
                throw Refused(tokenFile, "is readable or writable by others (chmod 0600 or 0640)");
            byte[] buffer = new byte[4096];
            int n = RandomAccess.Read(handle, buffer, 0);
            token = Encoding.UTF8.GetString(buffer, 0, n).Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Refused(tokenFile, ex.Message);
        }
        if (token.Length < 16 || token.Contains('\n') || token.Contains(' '))
            throw Refused(tokenFile, "must hold one token of at least 16 characters, no spaces");
        return new MetricsAccess(Encoding.UTF8.GetBytes(token), ruleMetricsForEveryone);
    }

    /// <summary>The view for an HTTP request whose head (request line and headers) is <paramref name="head"/>.</summary>
    public MetricsView ViewFor(ReadOnlySpan<byte> head)
    {
        if (_everyoneFull)
            return MetricsView.Full;
        if (_token is null || !TryFindBearer(head, out ReadOnlySpan<byte> presented))
            return MetricsView.Public;
        return CryptographicOperations.FixedTimeEquals(presented, _token) ? MetricsView.Full : MetricsView.Public;
    }

    private static bool TryFindBearer(ReadOnlySpan<byte> head, out ReadOnlySpan<byte> token)
    {
        token = default;
        while (!head.IsEmpty)
        {
            int end = head.IndexOf((byte)'\n');
            ReadOnlySpan<byte> line = (end >= 0 ? head[..end] : head).TrimEnd((byte)'\r');
            head = end >= 0 ? head[(end + 1)..] : default;
            const int NameLength = 14; // "authorization:"
            if (line.Length <= NameLength || !Ascii.EqualsIgnoreCase(line[..NameLength], "authorization:"u8))
                continue;
            ReadOnlySpan<byte> value = line[NameLength..].Trim((byte)' ');
            if (value.Length <= 7 || !Ascii.EqualsIgnoreCase(value[..7], "bearer "u8))
                return false;
            token = value[7..].Trim((byte)' ');
            return true;
        }
        return false;
    }

    private static ProcWatchException Refused(string path, string why) =>
        new(FailureKind.SystemError, $"health.metrics_token_file {path} {why}");
}
