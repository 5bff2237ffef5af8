namespace ProcWatch.Kernel.Ebpf;

/// <summary>Receives raw samples on the capture thread, parses them, calls the user's handler.</summary>
internal sealed class RecordSink
{
    private readonly Action<ExecRecord> _onRecord;
    private long _received;
    private long _malformed;

    internal RecordSink(Action<ExecRecord> onRecord) => _onRecord = onRecord;

    internal long Received => Volatile.Read(ref _received);

    internal long Malformed => Volatile.Read(ref _malformed);

    /// <summary>The handler's exception, after which no more samples are taken.</summary>
    internal Exception? Fault { get; private set; }

    /// <summary>Returns false to stop consuming. <paramref name="sample"/> is only valid during the call.</summary>
    internal bool OnSample(ReadOnlySpan<byte> sample)
    {
        if (!ExecRecordParser.TryParse(sample, out ExecRecord? record))
        {
            Interlocked.Increment(ref _malformed);
            return true;
        }
        try
        {
            _onRecord(record);
        }
        catch (Exception e)
        {
            Fault = e;
            return false;
        }
        Interlocked.Increment(ref _received);
        return true;
    }
}
