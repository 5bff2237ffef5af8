using System.Buffers.Binary;

namespace ProcWatch.Kernel.Connector;

/// <summary>What one step of <see cref="ConnectorDatagramReader"/> produced.</summary>
internal enum ConnectorReadResult
{
    /// <summary>A proc event was read into the record.</summary>
    Event,
    /// <summary>The kernel's acknowledgement of a subscription (PROC_EVENT_NONE); not a process event.</summary>
    Ack,
    /// <summary>A netlink control message (NOOP, ERROR, OVERRUN) or another connector's message; skipped.</summary>
    Skipped,
    /// <summary>A truncated or malformed message; the rest of the datagram is abandoned.</summary>
    Malformed,
    /// <summary>No more messages in the datagram.</summary>
    End,
}

/// <summary>
/// Walks the netlink messages of one datagram from the proc connector. Every read is
/// bounds-checked against the lengths the message claims and the bytes actually present;
/// nothing throws, malformed input ends the walk with <see cref="ConnectorReadResult.Malformed"/>.
/// </summary>
internal ref struct ConnectorDatagramReader
{
    private ReadOnlySpan<byte> _rest;

    public ConnectorDatagramReader(ReadOnlySpan<byte> datagram) => _rest = datagram;

    /// <summary>errno carried by the last NLMSG_ERROR message (0 is an ack of a request).</summary>
    public int LastNetlinkError { get; private set; }

    public ConnectorReadResult Read(out ProcEventRecord record)
    {
        record = default;
        if (_rest.IsEmpty)
            return ConnectorReadResult.End;
        if (_rest.Length < CnProc.NLMSG_HDRLEN)
            return Abandon();

        uint length = BinaryPrimitives.ReadUInt32LittleEndian(_rest[CnProc.nlmsg_len..]);
        ushort type = BinaryPrimitives.ReadUInt16LittleEndian(_rest[CnProc.nlmsg_type..]);
        if (length < CnProc.NLMSG_HDRLEN || length > (uint)_rest.Length)
            return Abandon();

        ReadOnlySpan<byte> payload = _rest[CnProc.NLMSG_HDRLEN..(int)length];
        int aligned = (int)Math.Min((length + CnProc.NLMSG_ALIGNTO - 1) & ~(uint)(CnProc.NLMSG_ALIGNTO - 1), (uint)_rest.Length);
        _rest = _rest[aligned..];

        switch (type)
        {
            // The connector sends its messages with type NLMSG_DONE: that one is data.
            case CnProc.NLMSG_NOOP:
            case CnProc.NLMSG_OVERRUN:
                return ConnectorReadResult.Skipped;
            case CnProc.NLMSG_ERROR:
                // struct nlmsgerr starts with a negative errno.
                LastNetlinkError = payload.Length >= 4 ? -BinaryPrimitives.ReadInt32LittleEndian(payload) : 0;
                return ConnectorReadResult.Skipped;
        }

        ConnectorReadResult result = ReadConnectorMessage(payload, ref record);
        if (result == ConnectorReadResult.Malformed)
            _rest = default; // as documented: nothing after a malformed message is trusted
        return result;
    }

    private ConnectorReadResult Abandon()
    {
        _rest = default;
        return ConnectorReadResult.Malformed;
    }

    private static ConnectorReadResult ReadConnectorMessage(ReadOnlySpan<byte> msg, ref ProcEventRecord record)
    {
        if (msg.Length < CnProc.CN_MSG_SIZE)
            return ConnectorReadResult.Malformed;
        uint idx = BinaryPrimitives.ReadUInt32LittleEndian(msg[CnProc.cn_msg_idx..]);
        uint val = BinaryPrimitives.ReadUInt32LittleEndian(msg[CnProc.cn_msg_val..]);
        if (idx != CnProc.CN_IDX_PROC || val != CnProc.CN_VAL_PROC)
            return ConnectorReadResult.Skipped;

        ushort dataLength = BinaryPrimitives.ReadUInt16LittleEndian(msg[CnProc.cn_msg_len..]);
        ReadOnlySpan<byte> data = msg[CnProc.CN_MSG_SIZE..];
        if (dataLength > data.Length || dataLength < CnProc.PROC_EVENT_HEADER_SIZE)
            return ConnectorReadResult.Malformed;
        data = data[..dataLength];

        record.Seq = BinaryPrimitives.ReadUInt32LittleEndian(msg[CnProc.cn_msg_seq..]);
        record.What = BinaryPrimitives.ReadUInt32LittleEndian(data[CnProc.proc_event_what..]);
        record.Cpu = BinaryPrimitives.ReadUInt32LittleEndian(data[CnProc.proc_event_cpu..]);
        record.TimestampNs = BinaryPrimitives.ReadUInt64LittleEndian(data[CnProc.proc_event_timestamp_ns..]);
        ReadOnlySpan<byte> body = data[CnProc.proc_event_data..];

        int needed = record.What switch
        {
            CnProc.PROC_EVENT_NONE => CnProc.ack_size,
            CnProc.PROC_EVENT_FORK => CnProc.fork_size,
            CnProc.PROC_EVENT_EXEC => CnProc.exec_size,
            CnProc.PROC_EVENT_UID or CnProc.PROC_EVENT_GID => CnProc.id_size,
            CnProc.PROC_EVENT_SID => CnProc.sid_size,
            CnProc.PROC_EVENT_PTRACE => CnProc.ptrace_size,
            CnProc.PROC_EVENT_COMM => CnProc.comm_size,
            CnProc.PROC_EVENT_COREDUMP => CnProc.coredump_size,
            CnProc.PROC_EVENT_EXIT => CnProc.exit_size,
            _ => 0, // unknown kinds are kept with whatever ids they carry
        };
        if (body.Length < needed)
            return ConnectorReadResult.Malformed;

        if (record.What == CnProc.PROC_EVENT_NONE)
        {
            record.Real = BinaryPrimitives.ReadUInt32LittleEndian(body);
            return ConnectorReadResult.Ack;
        }

        if (record.What == CnProc.PROC_EVENT_FORK)
        {
            record.OtherPid = ReadInt(body, 0);
            record.OtherTgid = ReadInt(body, 4);
            record.ProcessPid = ReadInt(body, 8);
            record.ProcessTgid = ReadInt(body, 12);
            return ConnectorReadResult.Event;
        }

        // Every other member starts with process_pid, process_tgid.
        if (body.Length >= 8)
        {
            record.ProcessPid = ReadInt(body, 0);
            record.ProcessTgid = ReadInt(body, 4);
        }

        switch (record.What)
        {
            case CnProc.PROC_EVENT_UID:
            case CnProc.PROC_EVENT_GID:
                record.Real = BinaryPrimitives.ReadUInt32LittleEndian(body[8..]);
                record.Effective = BinaryPrimitives.ReadUInt32LittleEndian(body[12..]);
                break;
            case CnProc.PROC_EVENT_PTRACE:
            case CnProc.PROC_EVENT_COREDUMP:
                record.OtherPid = ReadInt(body, 8);
                record.OtherTgid = ReadInt(body, 12);
                break;
            case CnProc.PROC_EVENT_COMM:
                body.Slice(8, CnProc.TASK_COMM_LEN).CopyTo(record.Comm);
                break;
            case CnProc.PROC_EVENT_EXIT:
                record.Real = BinaryPrimitives.ReadUInt32LittleEndian(body[8..]);
                record.Effective = BinaryPrimitives.ReadUInt32LittleEndian(body[12..]);
                record.OtherPid = ReadInt(body, 16);
                record.OtherTgid = ReadInt(body, 20);
                break;
        }
        return ConnectorReadResult.Event;
    }

    private static int ReadInt(ReadOnlySpan<byte> body, int offset) =>
        BinaryPrimitives.ReadInt32LittleEndian(body[offset..]);
}
