using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Text;
using ProcWatch.Events;

namespace ProcWatch.Output.Sinks;

/// <summary>
/// RFC 5424 messages on the local syslog socket (/dev/log), one datagram per event:
/// <c>&lt;PRI&gt;1 TIMESTAMP HOST procwatch PID ACTION - JSON</c>. Events have severity
/// info; alerts notice (low) to critical. Never blocks: a busy syslog drops (counted).
/// </summary>
internal sealed class SyslogSink : IOutputSink
{
    private readonly UnixDatagramSender _sender;
    private readonly int _facility;
    private readonly byte[] _host;
    private readonly byte[] _procId;
    private readonly FailureLatch _latch;
    private readonly ArrayBufferWriter<byte> _message = new(4096);

    public SyslogSink(string socketPath, int facility, Action<string> report, string? hostname = null)
    {
        _sender = new UnixDatagramSender(socketPath);
        _facility = facility;
        _host = Encoding.ASCII.GetBytes(Header(hostname ?? Environment.MachineName, 255));
        _procId = Encoding.ASCII.GetBytes(Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        Name = "syslog:" + socketPath;
        _latch = new FailureLatch(Name, report);
    }

    public string Name { get; }

    public OutputCounters Counters { get; } = new();

    /// <summary>Facility names of RFC 5424 accepted in the configuration.</summary>
    public static bool TryParseFacility(string name, out int facility)
    {
        facility = name switch
        {
            "kern" => 0, "user" => 1, "mail" => 2, "daemon" => 3, "auth" => 4, "syslog" => 5,
            "lpr" => 6, "news" => 7, "uucp" => 8, "cron" => 9, "authpriv" => 10, "ftp" => 11,
            "local0" => 16, "local1" => 17, "local2" => 18, "local3" => 19,
            "local4" => 20, "local5" => 21, "local6" => 22, "local7" => 23,
            _ => -1,
        };
        return facility >= 0;
    }

    /// <summary>Syslog severity: info for events; alerts by rule severity.</summary>
    public static int Severity(AlertInfo? alert) => alert?.Severity switch
    {
        null => 6,
        "low" => 5,
        "medium" => 4,
        "high" => 3,
        _ => 2,
    };

    public void Write(ProcessEvent e, AlertInfo? alert, ReadOnlySpan<byte> jsonLine)
    {
        _message.ResetWrittenCount();
        Span<byte> head = _message.GetSpan(64);
        head[0] = (byte)'<';
        Utf8Formatter.TryFormat(_facility * 8 + Severity(alert), head[1..], out int n);
        n++;
        head[n++] = (byte)'>';
        head[n++] = (byte)'1';
        head[n++] = (byte)' ';
        _message.Advance(n);
        Span<byte> time = _message.GetSpan(32);
        e.Timestamp.UtcDateTime.TryFormat(time, out int t, "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
        _message.Advance(t);
        _message.Write(" "u8);
        _message.Write(_host);
        _message.Write(" procwatch "u8);
        _message.Write(_procId);
        _message.Write(" "u8);
        _message.Write(alert is null ? Encoding.ASCII.GetBytes(e.Kind.Name()) : "alert"u8);
        _message.Write(" - "u8);
        _message.Write(jsonLine.EndsWith("\n"u8) ? jsonLine[..^1] : jsonLine);

        _sender.SendCounted(_message.WrittenSpan, Counters, _latch);
    }

    public void Flush() { }

    public void Reopen() => _sender.Reset();

    public void Dispose() => _sender.Dispose();

    // HOSTNAME is PRINTUSASCII without spaces, at most maxLength.
    private static string Header(string value, int maxLength)
    {
        var sb = new StringBuilder(Math.Min(value.Length, maxLength));
        foreach (char c in value)
        {
            if (sb.Length == maxLength) break;
            sb.Append(c is > ' ' and < (char)127 ? c : '_');
        }
        return sb.Length == 0 ? "-" : sb.ToString();
    }
}
