using System.Diagnostics.CodeAnalysis;
using System.Collections.Immutable;
using System.Runtime.InteropServices;
using ProcWatch.Kernel.Connector;
using ProcWatch.Text;

namespace ProcWatch.Kernel.Ebpf;

/// <summary>Turns ring-buffer samples (exec_capture.h layouts) into <see cref="KernelRecord"/>s.</summary>
internal static class ExecRecordParser
{
    /// <summary>
    /// An exec record whose argv is all in the sample (<c>argv_chunks</c> 0), or with
    /// <paramref name="moreArgv"/> the continuation bytes the chunks before it brought.
    /// False when the sample is shorter than its header says (never expected from the kernel).
    /// </summary>
    internal static bool TryParse(ReadOnlySpan<byte> sample, [NotNullWhen(true)] out ExecRecord? record) =>
        TryParseExec(sample, default, chunksComplete: true, out record);

    internal static bool TryParseExec(ReadOnlySpan<byte> sample, ReadOnlySpan<byte> moreArgv, bool chunksComplete, [NotNullWhen(true)] out ExecRecord? record)
    {
        record = null;
        if (sample.Length < exec_record_header.Size)
            return false;
        exec_record_header header = MemoryMarshal.Read<exec_record_header>(sample);
        int filenameLength = header.filename_len;
        long needed = (long)exec_record_header.Size + filenameLength + header.exe_len + header.cwd_len + header.argv_len;
        if (needed > sample.Length)
            return false;
        int at = exec_record_header.Size;
        ReadOnlySpan<byte> filename = sample.Slice(at, filenameLength);
        at += filenameLength;
        ReadOnlySpan<byte> exe = sample.Slice(at, header.exe_len);
        at += header.exe_len;
        ReadOnlySpan<byte> cwd = sample.Slice(at, header.cwd_len);
        at += header.cwd_len;
        ReadOnlySpan<byte> argv = sample.Slice(at, (int)header.argv_len);
        exec_record_flags flags = header.flags;
        bool truncated = (flags & exec_record_flags.ARGV_TRUNCATED) != 0 || !chunksComplete;

        ImmutableArray<string> args;
        if (moreArgv.IsEmpty)
        {
            args = SplitArgv(argv);
        }
        else
        {
            byte[] joined = System.Buffers.ArrayPool<byte>.Shared.Rent(argv.Length + moreArgv.Length);
            argv.CopyTo(joined);
            moreArgv.CopyTo(joined.AsSpan(argv.Length));
            args = SplitArgv(joined.AsSpan(0, argv.Length + moreArgv.Length));
            System.Buffers.ArrayPool<byte>.Shared.Return(joined);
        }

        bool exeKnown = (flags & (exec_record_flags.EXE_MISSING | exec_record_flags.EXE_TRUNCATED)) == 0;
        bool anonymous = (flags & exec_record_flags.EXE_ANONYMOUS) != 0;
        string? exePath = exeKnown ? JoinPath(exe) : null;
        bool cwdKnown = (flags & (exec_record_flags.CWD_MISSING | exec_record_flags.CWD_TRUNCATED)) == 0;
        record = new ExecRecord
        {
            Tgid = (int)header.tgid,
            OldPid = (int)header.old_pid,
            ParentTgid = (int)header.ppid,
            Uid = header.uid,
            Gid = header.gid,
            KernelTimeNs = header.ktime_ns,
            Filename = ProcText.Decode(filename),
            Comm = CommOf(ref header),
            Argv = args,
            ArgvTruncated = truncated,
            ArgvFullLength = (int)Math.Min(header.argv_full_len, int.MaxValue),
            Identity = new ExecIdentity(
                header.euid,
                header.egid,
                (flags & exec_record_flags.NO_LOGINUID) != 0 || header.loginuid == uint.MaxValue ? null : header.loginuid,
                header.cgroup_id) { Known = true },
            Argc = (flags & exec_record_flags.NO_ARGC) != 0 || header.argc < 0 ? null : header.argc,
            StartBootNs = header.start_boottime_ns,
            Executable = exePath,
            ExecutableDeleted = exePath is not null && (anonymous || (flags & exec_record_flags.EXE_DELETED) != 0),
            ExecutableMemfd = anonymous && exe.StartsWith("memfd:"u8),
            File = (flags & exec_record_flags.EXE_MISSING) != 0 ? null
                : new ExecutableFile(header.exe_dev, header.exe_ino, header.exe_mode, header.exe_uid, header.exe_nlink)
                {
                    Size = (long)Math.Min(header.exe_size, long.MaxValue),
                    MtimeNs = (long)header.exe_mtime_ns,
                    CtimeNs = (long)header.exe_ctime_ns,
                },
            Ancestors = AncestorsOf(ref header),
            WorkingDirectory = cwdKnown ? JoinPath(cwd) : null,
            SessionId = (int)header.sid,
            ProcessGroupId = (int)header.pgid,
            TtyNr = (int)header.tty_nr,
            HasContext = true,
            EnteredPidNamespace = (flags & exec_record_flags.PIDNS_ENTRY) != 0,
        };
        return true;
    }

    /// <summary>
    /// A walked path: components leaf first, each ending in NUL, turned into "/a/b/c"
    /// (nothing: "/"). Decoded losslessly like argv.
    /// </summary>
    internal static string JoinPath(ReadOnlySpan<byte> components)
    {
        if (components.IsEmpty)
            return "/";
        Span<byte> path = components.Length <= 4200 ? stackalloc byte[components.Length + 1] : new byte[components.Length + 1];
        int end = path.Length;
        while (!components.IsEmpty)
        {
            int nul = components.IndexOf((byte)0);
            ReadOnlySpan<byte> name = nul < 0 ? components : components[..nul];
            components = nul < 0 ? default : components[(nul + 1)..];
            end -= name.Length;
            name.CopyTo(path[end..]);
            path[--end] = (byte)'/';
        }
        return ProcText.Decode(path[end..]);
    }

    internal static ForkRecord? ParseFork(ReadOnlySpan<byte> sample)
    {
        if (!MemoryMarshal.TryRead(sample, out fork_record r))
            return null;
        return new ForkRecord
        {
            Tgid = (int)r.prefix.tgid, KernelTimeNs = r.prefix.ktime_ns, ParentTgid = (int)r.parent_tgid, CreatorTgid = (int)r.creator_tgid,
            StartBootNs = r.start_boottime_ns, Ids = IdsOf(r.ids),
        };
    }

    internal static ExitRecord? ParseExit(ReadOnlySpan<byte> sample)
    {
        if (!MemoryMarshal.TryRead(sample, out exit_record r))
            return null;
        return new ExitRecord
        {
            Tgid = (int)r.prefix.tgid,
            KernelTimeNs = r.prefix.ktime_ns,
            StartBootNs = r.start_boottime_ns,
            ExitCode = (int)r.exit_code,
            UserCpu = TimeSpan.FromTicks((long)(r.utime_ns / 100)),
            SystemCpu = TimeSpan.FromTicks((long)(r.stime_ns / 100)),
            PeakRssBytes = (long)r.maxrss_pages * Environment.SystemPageSize,
            Ids = IdsOf(r.ids),
        };
    }

    private static TaskIds IdsOf(in task_ids ids) => new(ids.uid, ids.euid, ids.gid, ids.egid);

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

    private static unsafe ImmutableArray<int> AncestorsOf(ref exec_record_header header)
    {
        int n = 0;
        while (n < exec_record_header.ANCESTORS_MAX && header.ancestors[n] != 0)
            n++;
        if (n == 0)
            return ImmutableArray<int>.Empty;
        var builder = ImmutableArray.CreateBuilder<int>(n);
        for (int i = 0; i < n; i++)
            builder.Add((int)header.ancestors[i]);
        return builder.MoveToImmutable();
    }

    private static unsafe string CommOf(ref exec_record_header header) =>
        ProcText.DecodeCString(MemoryMarshal.CreateReadOnlySpan(ref header.comm[0], CnProc.TASK_COMM_LEN));
}
