using System.Collections.Concurrent;
using System.IO.Compression;
using System.Text;
using ProcWatch.Daemon.Outputs.ClickHouse;
using ProcWatch.Files;
using ProcWatch.Tests.Helpers;
using Xunit;
using DaemonCli = ProcWatch.Tests.Daemon.Cli;

namespace ProcWatch.Tests.Files;

/// <summary>
/// Issue 20, H4: the ClickHouse spool. A directory the attacker made (or anyone may write)
/// is refused; batches are private; a batch this daemon did not write is never sent.
/// </summary>
public sealed class SpoolAttackTests : IDisposable
{
    private readonly AttackerScene _scene = new();

    public void Dispose() => _scene.Dispose();

    private static ClickHouseSpool Spool(string directory) => new(directory, 1L << 30, TimeSpan.FromDays(7));

    private static byte[] Gzip(string rows)
    {
        var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
            gzip.Write(Encoding.UTF8.GetBytes(rows));
        return buffer.ToArray();
    }

    [KernelFact]
    public void H4_a_spool_directory_the_attacker_made_stops_the_daemon()
    {
        string spool = _scene.InShared("pwspool");
        _scene.AsAttacker("mkdir -m 777 pwspool");
        string config = _scene.Write("config.yaml", $"""
            outputs:
              - type: clickhouse
                url: http://127.0.0.1:9/
                spool: {spool}
            health:
              socket: {_scene.Private("status.sock")}
              interval: 0
            """);

        var (code, _, stderr) = DaemonCli.Run("daemon", "--config", config);

        Assert.True(code == 7, $"exit {code}: {stderr}");
        Assert.Contains($"spool: refusing {spool}: belongs to uid 65534; this directory must be procwatch's own (uid 0)\n", stderr);
        Assert.Empty(Directory.GetFileSystemEntries(spool)); // not a byte written in it
    }

    [KernelFact]
    public void H4_a_root_spool_writable_by_others_is_refused()
    {
        string spool = _scene.InShared("pwspool");
        Directory.CreateDirectory(spool);
        File.SetUnixFileMode(spool, (UnixFileMode)0b111_111_111);

        var refused = Assert.Throws<UnsafeFileException>(() => Spool(spool));

        Assert.Equal($"refusing {spool}: is writable by group or others (mode 0777); it must be 0700 or 0750", refused.Message);
    }

    [KernelFact]
    public void H4_the_spool_its_batches_and_its_key_are_private()
    {
        string spool = _scene.InShared("pwspool");
        using (ClickHouseSpool s = Spool(spool))
            Assert.Equal(SpoolAppend.Stored, s.Append(Gzip("{}\n"), 1, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), out _));

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, AttackerScene.Mode(spool));
        string batch = Assert.Single(Directory.GetFiles(spool, "*.batch"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, AttackerScene.Mode(batch));
        string key = Path.Combine(spool, SpoolSeal.KeyName);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, AttackerScene.Mode(key));
        Assert.Equal(32, new FileInfo(key).Length);
    }

    /// <summary>
    /// Batches that appear in the spool without this daemon's seal (forged, or a genuine one
    /// renamed to claim more rows) are set aside at start, never offered for sending, and
    /// counted in one warning line.
    /// </summary>
    [KernelFact]
    public void H4_a_forged_batch_is_never_sent_and_is_counted_in_one_line()
    {
        string spool = _scene.InShared("pwspool");
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        using (ClickHouseSpool earlier = Spool(spool))
        {
            Assert.Equal(SpoolAppend.Stored, earlier.Append(Gzip("{\"genuine\":1}\n"), 1, now, out _));
            Assert.Equal(SpoolAppend.Stored, earlier.Append(Gzip("{\"genuine\":2}\n"), 1, now, out _));
        }
        // What someone with a moment of write access (a restored backup, a chmod gone wrong) leaves.
        File.WriteAllBytes(Path.Combine(spool, $"{99:D16}.1.{now}.batch"), [.. Gzip("{\"forged\":1}\n"), .. new byte[32]]);
        File.Move(Path.Combine(spool, $"{2:D16}.1.{now}.batch"), Path.Combine(spool, $"{2:D16}.500.{now}.batch"));

        var log = new ConcurrentQueue<string>();
        var settings = new ClickHouseSettings { Url = new Uri("http://127.0.0.1:9/"), SpoolDirectory = spool, Timeout = TimeSpan.FromSeconds(1) };
        using (var sink = new ClickHouseSink(settings, log.Enqueue, hostname: "h4"))
        {
            Assert.Equal(1, sink.SpoolBatches); // only the genuine, untouched batch
        }
        Assert.Single(log, l => l.Contains("2 spooled batch(es) failed the integrity check (not written by this daemon)", StringComparison.Ordinal));
        Assert.Single(log, l => l.Contains("1 events in 1 batches spooled by an earlier run", StringComparison.Ordinal));
        Assert.Equal([$"{2:D16}.500.{now}.batch.unverified", $"{99:D16}.1.{now}.batch.unverified"],
            Directory.GetFiles(Path.Combine(spool, "rejected")).Select(f => Path.GetFileName(f)!).Order(StringComparer.Ordinal).ToArray());
    }

    [KernelFact]
    public void H4_a_batch_changed_after_it_was_spooled_is_not_read_for_sending()
    {
        string spool = _scene.InShared("pwspool");
        using ClickHouseSpool s = Spool(spool);
        Assert.Equal(SpoolAppend.Stored, s.Append(Gzip("{\"n\":1}\n"), 1, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), out _));
        Assert.True(s.TryPeekOldest(out SpoolEntry entry));
        Assert.Equal(Gzip("{\"n\":1}\n"), s.Read(entry));
        byte[] file = File.ReadAllBytes(entry.Path);
        file[^40] ^= 1;
        File.WriteAllBytes(entry.Path, file);

        var failed = Assert.Throws<IOException>(() => s.Read(entry));
        Assert.Contains("fails the integrity check", failed.Message);
    }
}
