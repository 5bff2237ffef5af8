using System.Diagnostics.CodeAnalysis;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ProcWatch.Text;

namespace ProcWatch.Kernel.Ebpf;

/// <summary>Turns one ring-buffer sample (exec_capture.h layout) into an <see cref="ExecRecord"/>.</summary>
internal static class ExecRecordParser
{
    /// <summary>False when the sample is shorter than its header says (never expected from the kernel).</summary>
    internal static bool TryParse(ReadOnlySpan<byte> sample, [NotNullWhen(true)] out ExecRecord? record)
    {
        record = null;
        if (sample.Length < exec_record_header.Size)
        {
            return false;
        }
        exec_record_header header = MemoryMarshal.Read<exec_record_header>(sample);
        int filenameLength = header.filename_len;
        long needed = (long)exec_record_header.Size + filenameLength + header.argv_len;
        if (needed > sample.Length)
        {
            return false;
        }
        ReadOnlySpan<byte> filename = sample.Slice(exec_record_header.Size, filenameLength);
        ReadOnlySpan<byte> argv = sample.Slice(exec_record_header.Size + filenameLength, (int)header.argv_len);

        record = new ExecRecord(
            tgid: (int)header.tgid,
            oldPid: (int)header.old_pid,
            parentTgid: (int)header.ppid,
            uid: header.uid,
            gid: header.gid,
            kernelTimeNs: header.ktime_ns,
            filename: ProcText.Decode(filename),
            comm: CommOf(ref header),
            argv: SplitArgv(argv),
            argvTruncated: (header.flags & exec_record_header.EXEC_RECORD_ARGV_TRUNCATED) != 0,
            argvFullLength: (int)Math.Min(header.argv_full_len, int.MaxValue),
            identity: new ExecIdentity(
                header.euid,
                header.egid,
                (header.flags & exec_record_header.EXEC_RECORD_NO_LOGINUID) != 0 || header.loginuid == uint.MaxValue ? null : header.loginuid,
                header.cgroup_id) { Known = true });
        return true;
    }

    /// <summary>
    /// Splits NUL-terminated strings as laid out in /proc/PID/cmdline. A final string without
    /// its NUL (argv cut at the cap) is kept as it is.
    /// </summary>
    internal static ImmutableArray<string> SplitArgv(ReadOnlySpan<byte> argv)
    {
        if (argv.IsEmpty)
        {
            return ImmutableArray<string>.Empty;
        }
        int count = argv.Count((byte)0);
        if (argv[^1] != 0)
        {
            count++;
        }
        var builder = ImmutableArray.CreateBuilder<string>(count);
        while (!argv.IsEmpty)
        {
            int end = argv.IndexOf((byte)0);
            if (end < 0)
            {
                builder.Add(ProcText.Decode(argv));
                break;
            }
            builder.Add(ProcText.Decode(argv[..end]));
            argv = argv[(end + 1)..];
        }
        return builder.MoveToImmutable();
    }

    private static unsafe string CommOf(ref exec_record_header header) =>
        ProcText.DecodeCString(MemoryMarshal.CreateReadOnlySpan(ref header.comm[0], exec_record_header.COMM_LEN));
}
