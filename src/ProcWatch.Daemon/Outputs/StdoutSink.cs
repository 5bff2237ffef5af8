using System.Buffers;
using Microsoft.Win32.SafeHandles;
using ProcWatch.Events;

namespace ProcWatch.Output.Sinks;

/// <summary>JSON lines on standard output, written per flush. A closed pipe drops (counted) quietly.</summary>
internal sealed class StdoutSink : IOutputSink
{
    private readonly ArrayBufferWriter<byte> _pending = new(64 * 1024);
    private readonly FileStream _stream = new(new SafeFileHandle(1, ownsHandle: false), FileAccess.Write, bufferSize: 0);
    private readonly FailureLatch _latch;
    private long _pendingLines;

    public StdoutSink(Action<string> report) => _latch = new FailureLatch(Name, report);

    public string Name => "stdout";

    public OutputCounters Counters { get; } = new();

    public void Write(ProcessEvent e, AlertInfo? alert, ReadOnlySpan<byte> jsonLine)
    {
        _pending.Write(jsonLine);
        _pendingLines++;
    }

    public void Flush()
    {
        if (_pendingLines == 0)
            return;
        try
        {
            _stream.Write(_pending.WrittenSpan);
            Counters.OnWritten(_pendingLines);
            _latch.Succeeded();
        }
        catch (IOException ex)
        {
            Counters.OnDropped(_pendingLines);
            _latch.Failed($"cannot write: {ex.Message}", _pendingLines);
        }
        finally
        {
            _pending.ResetWrittenCount();
            _pendingLines = 0;
        }
    }

    public void Reopen() { }

    public void Dispose()
    {
        Flush();
        _stream.Dispose();
    }
}
