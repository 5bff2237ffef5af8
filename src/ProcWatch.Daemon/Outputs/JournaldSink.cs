using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using ProcWatch.Events;
using ProcWatch.Text;

namespace ProcWatch.Output.Sinks;

/// <summary>
/// journald's native protocol: one datagram per event on /run/systemd/journal/socket,
/// with structured fields (<c>PROCWATCH_EVENT</c>, <c>PROCWATCH_PID</c>,
/// <c>PROCWATCH_EXECUTABLE</c>, <c>PROCWATCH_COMMAND_LINE</c>, <c>PROCWATCH_RULE</c>…, the
/// whole ECS document in <c>PROCWATCH_JSON</c>) so <c>journalctl PROCWATCH_RULE=x</c> works.
/// Values keep their original bytes (invalid UTF-8 included), in the protocol's
/// length-prefixed form when they hold a newline. Never blocks.
/// </summary>
internal sealed class JournaldSink : IOutputSink
{
    public const string DefaultSocket = "/run/systemd/journal/socket";
    private readonly UnixDatagramSender _sender;
    private readonly FailureLatch _latch;
    private readonly ArrayBufferWriter<byte> _message = new(8192);

    public JournaldSink(string socketPath, Action<string> report)
    {
        _sender = new UnixDatagramSender(socketPath);
        Name = "journald:" + socketPath;
        _latch = new FailureLatch(Name, report);
    }

    public string Name { get; }

    public OutputCounters Counters { get; } = new();

    public void Write(ProcessEvent e, AlertInfo? alert, ReadOnlySpan<byte> jsonLine)
    {
        _message.ResetWrittenCount();
        ProcessInfo? p = e.Process;
        string commandLine = p?.Args is { Count: > 0 } args ? CommandLine.Join(args) : p?.Name ?? "";
        string summary = alert is null
            ? $"{e.Kind.Name()} pid {e.Pid.ToString(CultureInfo.InvariantCulture)} {commandLine}"
            : $"alert {alert.RuleName} ({alert.Severity}): {e.Kind.Name()} pid {e.Pid.ToString(CultureInfo.InvariantCulture)} {commandLine}";
        Field("MESSAGE"u8, summary.TrimEnd());
        Field("PRIORITY"u8, SyslogSink.Severity(alert).ToString(CultureInfo.InvariantCulture));
        Field("SYSLOG_IDENTIFIER"u8, "procwatch");
        Field("PROCWATCH_KIND"u8, alert is null ? "event" : "alert");
        Field("PROCWATCH_EVENT"u8, e.Kind.Name());
        Field("PROCWATCH_PID"u8, e.Pid.ToString(CultureInfo.InvariantCulture));
        if (p?.ParentPid is { } ppid) Field("PROCWATCH_PPID"u8, ppid.ToString(CultureInfo.InvariantCulture));
        if (p?.Executable is { } exe) Field("PROCWATCH_EXECUTABLE"u8, exe);
        if (p?.Args is not null) Field("PROCWATCH_COMMAND_LINE"u8, commandLine);
        if ((p?.EffectiveUser ?? p?.User) is { } user)
        {
            Field("PROCWATCH_UID"u8, user.Id.ToString(CultureInfo.InvariantCulture));
            if (user.Name is not null) Field("PROCWATCH_USER"u8, user.Name);
        }
        if (e is ExitEvent { Status: { } status }) Field("PROCWATCH_EXIT_CODE"u8, status.ShellCode.ToString(CultureInfo.InvariantCulture));
        if (alert is not null)
        {
            Field("PROCWATCH_RULE"u8, alert.RuleName);
            Field("PROCWATCH_SEVERITY"u8, alert.Severity);
        }
        FieldBytes("PROCWATCH_JSON"u8, jsonLine.EndsWith("\n"u8) ? jsonLine[..^1] : jsonLine);

        _sender.SendCounted(_message.WrittenSpan, Counters, _latch);
    }

    public void Flush() { }

    public void Reopen() => _sender.Reset();

    public void Dispose() => _sender.Dispose();

    private void Field(ReadOnlySpan<byte> name, string value) => FieldBytes(name, ProcText.Encode(value));

    private void FieldBytes(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        _message.Write(name);
        if (value.IndexOf((byte)'\n') < 0)
        {
            _message.Write("="u8);
            _message.Write(value);
        }
        else
        {
            // NAME\n, little-endian 64-bit length, the bytes.
            _message.Write("\n"u8);
            Span<byte> length = _message.GetSpan(8);
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)value.Length);
            _message.Advance(8);
            _message.Write(value);
        }
        _message.Write("\n"u8);
    }
}
