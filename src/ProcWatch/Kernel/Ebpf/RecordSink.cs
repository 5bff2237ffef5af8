using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ProcWatch.Kernel.Ebpf;

/// <summary>
/// Receives raw samples on the capture thread (one at a time: the ring is consumed under one
/// lock), parses them, calls the user's handler. Reassembles an exec's argv from the chunk
/// records that precede its exec record (same CPU, so in order).
/// </summary>
internal sealed class RecordSink
{
    /// <summary>Execs with chunks in flight at once (one per CPU in practice); beyond it the oldest are dropped.</summary>
    private const int MaxPendingArgv = 64;

    private readonly Action<KernelRecord> _onRecord;
    private readonly Dictionary<int, PendingArgv> _pending = [];
    private long _received;
    private long _malformed;

    internal RecordSink(Action<KernelRecord> onRecord) => _onRecord = onRecord;

    internal long Received => Volatile.Read(ref _received);

    internal long Malformed => Volatile.Read(ref _malformed);

    /// <summary>The handler's exception, after which no more samples are taken.</summary>
    internal Exception? Fault { get; private set; }

    /// <summary>Returns false to stop consuming. <paramref name="sample"/> is only valid during the call.</summary>
    internal bool OnSample(ReadOnlySpan<byte> sample)
    {
        if (!MemoryMarshal.TryRead(sample, out record_prefix prefix))
        {
            Interlocked.Increment(ref _malformed);
            return true;
        }
        (int tgid, ulong ktime) = ((int)prefix.tgid, prefix.ktime_ns);
        KernelRecord? record = null;
        switch (prefix.kind)
        {
            case record_kind.RECORD_ARGV_CHUNK:
                AddChunk(sample, tgid, ktime);
                return true;
            case record_kind.RECORD_EXEC:
                record = ParseExec(sample, tgid, ktime);
                break;
            case record_kind.RECORD_FORK:
                record = ExecRecordParser.ParseFork(sample);
                break;
            case record_kind.RECORD_EXIT:
                record = ExecRecordParser.ParseExit(sample);
                break;
            case record_kind.RECORD_FILTERED:
                record = FilteredRecord.Parse(sample);
                break;
        }
        if (record is null)
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

    private ExecRecord? ParseExec(ReadOnlySpan<byte> sample, int tgid, ulong ktime)
    {
        uint chunks = sample.Length >= exec_record_header.Size
            ? MemoryMarshal.Read<exec_record_header>(sample).argv_chunks : 0;
        if (chunks == 0)
            return ExecRecordParser.TryParse(sample, out ExecRecord? plain) ? plain : null;
        ExecRecord? record;
        if (_pending.Remove(tgid, out PendingArgv? p) && p.KernelTimeNs == ktime)
        {
            ExecRecordParser.TryParseExec(sample, p.Buffer.AsSpan(0, p.Length), chunksComplete: p.Chunks == chunks, out record);
        }
        else
        {
            ExecRecordParser.TryParseExec(sample, default, chunksComplete: false, out record);
        }
        p?.Release();
        return record;
    }

    private void AddChunk(ReadOnlySpan<byte> sample, int tgid, ulong ktime)
    {
        if (!MemoryMarshal.TryRead(sample, out argv_chunk_header header))
        {
            Interlocked.Increment(ref _malformed);
            return;
        }
        ReadOnlySpan<byte> data = sample[Unsafe.SizeOf<argv_chunk_header>()..];
        if (header.len > data.Length)
        {
            Interlocked.Increment(ref _malformed);
            return;
        }
        data = data[..(int)header.len];
        if (!_pending.TryGetValue(tgid, out PendingArgv? p) || p.KernelTimeNs != ktime)
        {
            if (p is not null)
            {
                p.Release(); // an older exec's chunks whose exec record never came
                _pending.Remove(tgid);
            }
            if (_pending.Count >= MaxPendingArgv)
            {
                foreach (PendingArgv stale in _pending.Values)
                    stale.Release();
                _pending.Clear();
            }
            p = new PendingArgv(ktime);
            _pending[tgid] = p;
        }
        // Chunks come in order; one that does not continue the last (a gap) ends the argv there.
        if (header.offset == (uint)exec_record_header.ARGV_CAP + (uint)p.Length && !p.Broken)
            p.Append(data);
        else
            p.Broken = true;
    }

    private sealed class PendingArgv(ulong kernelTimeNs)
    {
        public ulong KernelTimeNs { get; } = kernelTimeNs;
        public byte[] Buffer { get; private set; } = [];
        public int Length { get; private set; }
        public uint Chunks { get; private set; }
        public bool Broken { get; set; }

        public void Append(ReadOnlySpan<byte> data)
        {
            if (Buffer.Length < Length + data.Length)
            {
                byte[] bigger = ArrayPool<byte>.Shared.Rent(Math.Max(Length + data.Length, exec_record_header.ARGV_CAP * 4));
                Buffer.AsSpan(0, Length).CopyTo(bigger);
                if (Buffer.Length > 0)
                    ArrayPool<byte>.Shared.Return(Buffer);
                Buffer = bigger;
            }
            data.CopyTo(Buffer.AsSpan(Length));
            Length += data.Length;
            Chunks++;
        }

        public void Release()
        {
            if (Buffer.Length > 0)
                ArrayPool<byte>.Shared.Return(Buffer);
            Buffer = [];
            Length = 0;
        }
    }
}
