using System.Runtime.InteropServices;
using System.Text;
using ProcWatch.Kernel.Ebpf;
using Xunit;

namespace ProcWatch.Tests.Kernel.Ebpf;

/// <summary>Byte fixtures for the records the BPF program writes: walked paths, argv chunks, fork and exit.</summary>
public sealed class KernelRecordFixtureTests
{
    [Theory]
    [InlineData("", "/")]
    [InlineData("true\0bin\0usr\0", "/usr/bin/true")]
    [InlineData("memfd:pwtest\0", "/memfd:pwtest")]
    [InlineData("a b\0\u00e9\0", "/\u00e9/a b")]
    public void JoinPath_ReversesTheLeafFirstComponents(string components, string expected)
    {
        Assert.Equal(expected, ExecRecordParser.JoinPath(Encoding.UTF8.GetBytes(components)));
    }

    [Fact]
    public void ChunksBeforeTheExecRecord_AreJoinedIntoOneArgv()
    {
        var records = new List<KernelRecord>();
        var sink = new RecordSink(records.Add);
        byte[] argv = Encoding.ASCII.GetBytes("sh\0" + new string('x', exec_record_header.ARGV_CAP * 2) + "\0TAIL\0");
        // The kernel sends bytes [64K, 128K) and [128K, end) first, then the exec record with [0, 64K).
        Assert.True(sink.OnSample(Chunk(7, 99, argv, exec_record_header.ARGV_CAP, exec_record_header.ARGV_CAP)));
        Assert.True(sink.OnSample(Chunk(7, 99, argv, 2 * exec_record_header.ARGV_CAP, argv.Length - 2 * exec_record_header.ARGV_CAP)));
        Assert.True(sink.OnSample(Exec(7, 99, argv.AsSpan(0, exec_record_header.ARGV_CAP), argvFull: argv.Length, chunks: 2, argc: 3)));

        ExecRecord r = Assert.IsType<ExecRecord>(Assert.Single(records));
        Assert.False(r.ArgvTruncated);
        Assert.Equal(3, r.Argc);
        Assert.Equal(["sh", new string('x', exec_record_header.ARGV_CAP * 2), "TAIL"], r.Argv.ToArray());
        Assert.Equal("/usr/bin/dash", r.Executable);
        Assert.Equal("/tmp", r.WorkingDirectory);
    }

    [Fact]
    public void AMissingChunk_MakesTheArgvTruncated_NeverSpliced()
    {
        var records = new List<KernelRecord>();
        var sink = new RecordSink(records.Add);
        byte[] argv = Encoding.ASCII.GetBytes("sh\0" + new string('x', exec_record_header.ARGV_CAP * 2) + "\0TAIL\0");
        // Chunk 1 was lost (ring full); chunk 2 arrived.
        sink.OnSample(Chunk(7, 99, argv, 2 * exec_record_header.ARGV_CAP, argv.Length - 2 * exec_record_header.ARGV_CAP));
        sink.OnSample(Exec(7, 99, argv.AsSpan(0, exec_record_header.ARGV_CAP), argvFull: argv.Length, chunks: 2, argc: 3));

        ExecRecord r = Assert.IsType<ExecRecord>(Assert.Single(records));
        Assert.True(r.ArgvTruncated);
        Assert.Equal(3, r.Argc);
        Assert.Equal(2, r.Argv.Length);
        Assert.DoesNotContain("TAIL", r.Argv);
    }

    [Fact]
    public void ForkAndExitRecords_Parse()
    {
        var records = new List<KernelRecord>();
        var sink = new RecordSink(records.Add);
        var fork = new fork_record { prefix = new() { kind = record_kind.RECORD_FORK, tgid = 42, ktime_ns = 5 }, parent_tgid = 41, creator_tgid = 40, start_boottime_ns = 123_456_789_012,
            ids = new() { uid = 1000, euid = 1001, gid = 100, egid = 101 } };
        var exit = new exit_record
        {
            prefix = new() { kind = record_kind.RECORD_EXIT, tgid = 42, ktime_ns = 6 }, exit_code = 3 << 8, start_boottime_ns = 123_456_789_012,
            utime_ns = 2_000_000, stime_ns = 5_000_000, maxrss_pages = 10, ids = new() { uid = 65534, euid = 65534, gid = 65533, egid = 65532 },
        };
        sink.OnSample(Bytes(fork));
        sink.OnSample(Bytes(exit));

        var f = Assert.IsType<ForkRecord>(records[0]);
        Assert.Equal((42, 41, 40, 123_456_789_012UL), (f.Tgid, f.ParentTgid, f.CreatorTgid, f.StartBootNs));
        Assert.Equal(new TaskIds(1000, 1001, 100, 101), f.Ids);
        var x = Assert.IsType<ExitRecord>(records[1]);
        Assert.Equal(3 << 8, x.ExitCode);
        Assert.Equal(TimeSpan.FromMilliseconds(2), x.UserCpu);
        Assert.Equal(TimeSpan.FromMilliseconds(5), x.SystemCpu);
        Assert.Equal(10L * Environment.SystemPageSize, x.PeakRssBytes);
        Assert.Equal(new TaskIds(65534, 65534, 65533, 65532), x.Ids);
    }

    private static byte[] Bytes<T>(T value) where T : struct
    {
        byte[] b = new byte[Marshal.SizeOf<T>()];
        MemoryMarshal.Write(b, in value);
        return b;
    }

    private static byte[] Chunk(uint tgid, ulong ktime, byte[] argv, int offset, int length)
    {
        var h = new argv_chunk_header { prefix = new() { kind = record_kind.RECORD_ARGV_CHUNK, tgid = tgid, ktime_ns = ktime }, offset = (uint)offset, len = (uint)length };
        return [.. Bytes(h), .. argv.AsSpan(offset, length)];
    }

    private static byte[] Exec(uint tgid, ulong ktime, ReadOnlySpan<byte> argv, int argvFull, uint chunks, int argc)
    {
        byte[] filename = "/bin/sh"u8.ToArray();
        byte[] exe = "dash\0bin\0usr\0"u8.ToArray();
        byte[] cwd = "tmp\0"u8.ToArray();
        var h = new exec_record_header
        {
            kind = record_kind.RECORD_EXEC, tgid = tgid, ktime_ns = ktime, argv_len = (uint)argv.Length, argv_full_len = (uint)argvFull,
            argv_chunks = chunks, argc = argc, filename_len = (ushort)filename.Length, exe_len = (ushort)exe.Length, cwd_len = (ushort)cwd.Length,
            start_boottime_ns = 1,
        };
        return [.. Bytes(h), .. filename, .. exe, .. cwd, .. argv];
    }
}
