using Xunit;
using System.Diagnostics;
using System.Text;
using ProcWatch.Kernel.Ebpf;
using ProcWatch.Tests.Helpers;

namespace ProcWatch.Tests.Kernel.Ebpf;

/// <summary>Runs as root against the real kernel: each test execs programs and checks what eBPF saw.</summary>
[Collection(EbpfCollection.Name)]
public sealed class ExecCaptureTests
{
    [KernelFact]
    public void ExecStorm_EveryExecHasItsExactArgv()
    {
        const int Count = 2000;
        string token = ExecCollector.NewToken();
        using var collector = ExecCollector.ForToken(token);

        // dash forks and execs /bin/true as fast as it can; each child lives well under a millisecond.
        int rc = Programs.Run("/bin/sh", "-c", $"i=0; while [ $i -lt {Count} ]; do /bin/true {token}-$i; i=$((i+1)); done");
        Assert.Equal(0, rc);

        var records = collector.WaitForCount(Count);
        Assert.Equal(Count, records.Count);
        var seen = new HashSet<string>();
        foreach (var r in records)
        {
            Assert.Equal("/bin/true", r.Filename);
            Assert.Equal("true", r.Comm);
            Assert.Equal(2, r.Argv.Length);
            Assert.Equal("/bin/true", r.Argv[0]);
            Assert.StartsWith(token + "-", r.Argv[1]);
            Assert.False(r.ArgvTruncated);
            Assert.Equal(r.Tgid, r.OldPid);
            Assert.True(seen.Add(r.Argv[1]), "duplicate " + r.Argv[1]);
        }
        for (int i = 0; i < Count; i++)
        {
            Assert.Contains($"{token}-{i}", seen);
        }
        Assert.Equal(0UL, collector.Capture.Drops);
    }

    [KernelFact]
    public void Exec_RecordsPidsCredentialsAndTime()
    {
        string token = ExecCollector.NewToken();
        using var collector = ExecCollector.ForToken(token);
        ulong before = MonotonicNs();

        using var p = Process.Start("/bin/true", token)!;
        p.WaitForExit();

        var r = Assert.Single(collector.WaitForCount(1));
        Assert.Equal(p.Id, r.Tgid);
        Assert.Equal(p.Id, r.OldPid);
        Assert.Equal(Environment.ProcessId, r.ParentTgid);
        Assert.Equal(0u, r.Uid);
        Assert.Equal(0u, r.Gid);
        Assert.InRange(r.KernelTimeNs, before, MonotonicNs());
        Assert.Equal(["/bin/true", token], r.Argv.ToArray());
    }

    [KernelFact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void ShebangScript_GivesTheInterpreterArgv()
    {
        string token = ExecCollector.NewToken();
        string dir = Directory.CreateTempSubdirectory("procwatch-shebang-").FullName;
        string script = Path.Combine(dir, token + ".sh");
        File.WriteAllText(script, "#!/bin/sh -e\nexit 0\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        try
        {
            using var collector = ExecCollector.Where(r => r.Filename == script);
            Assert.Equal(0, Programs.Run(script, "one", "two words"));

            var r = Assert.Single(collector.WaitForCount(1));
            // The kernel rewrites argv for #!: interpreter, its optional argument, the script path, then the caller's args.
            Assert.Equal(["/bin/sh", "-e", script, "one", "two words"], r.Argv.ToArray());
            Assert.Equal(script, r.Filename);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [KernelFact]
    public void Fexecve_IsSeenWithDevFdFilename()
    {
        string token = ExecCollector.NewToken();
        string fexec = NativeHelpers.Build("fexec.c");
        using var collector = ExecCollector.ForToken(token);

        Assert.Equal(0, Programs.Run(fexec, "/bin/true", "renamed-true", token));

        var r = Assert.Single(collector.WaitForCount(1));
        Assert.StartsWith("/dev/fd/", r.Filename);
        Assert.Equal(["renamed-true", token], r.Argv.ToArray());
    }

    [KernelFact]
    public void ExecFromNonLeaderThread_HasOldPidOfThatThread()
    {
        string token = ExecCollector.NewToken();
        string helper = NativeHelpers.Build("exec_from_thread.c", "-pthread");
        using var collector = ExecCollector.ForToken(token);

        var psi = new ProcessStartInfo(helper) { ArgumentList = { "/bin/true", "/bin/true", token } };
        using var p = Process.Start(psi)!;
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);

        var r = Assert.Single(collector.WaitForCount(1));
        Assert.Equal(p.Id, r.Tgid);
        Assert.NotEqual(r.Tgid, r.OldPid);
        Assert.True(r.OldPid > 0);
        Assert.Equal(["/bin/true", token], r.Argv.ToArray());
    }

    [KernelFact]
    public void FailedExec_GivesNoRecord()
    {
        string token = ExecCollector.NewToken();
        string missing = $"/nonexistent/{token}";
        using var collector = ExecCollector.Where(r => r.Filename == missing || r.Argv.Contains(missing) || r.Argv.Contains($"{token}-marker"));

        // The failed exec comes first; the marker exec after it proves the ring was drained past it.
        Programs.Run("/bin/sh", "-c", $"{missing} x; /bin/true {token}-marker");

        var records = collector.WaitUntil(rs => rs.Exists(r => r.Argv.Contains($"{token}-marker")));
        var marker = Assert.Single(records);
        Assert.Equal(["/bin/true", $"{token}-marker"], marker.Argv.ToArray());
    }

    [KernelFact]
    public void HugeArgument_IsCapturedWholeInChunks()
    {
        string token = ExecCollector.NewToken();
        using var collector = ExecCollector.ForToken(token);
        string huge = token + new string('a', 100_000);

        using (var p = Process.Start(new ProcessStartInfo("/bin/true") { ArgumentList = { huge, "after" } })!)
        {
            p.WaitForExit();
        }

        var r = Assert.Single(collector.WaitForCount(1));
        Assert.False(r.ArgvTruncated);
        int fullLength = "/bin/true".Length + 1 + huge.Length + 1 + "after".Length + 1;
        Assert.Equal(fullLength, r.ArgvFullLength);
        Assert.Equal(3, r.Argv.Length);
        Assert.Equal("/bin/true", r.Argv[0]);
        Assert.True(huge == r.Argv[1], $"argv[1] differs: {r.Argv[1].Length} chars, first difference at {FirstDifference(huge, r.Argv[1])}");
        Assert.Equal("after", r.Argv[2]);
        Assert.Equal(3, r.Argc);
    }

    private static int FirstDifference(string a, string b)
    {
        int n = Math.Min(a.Length, b.Length);
        for (int i = 0; i < n; i++)
        {
            if (a[i] != b[i])
                return i;
        }
        return n;
    }

    [KernelFact]
    public void ArgvBeyondTheLimit_IsTruncatedWithTheTrueCount()
    {
        string token = ExecCollector.NewToken();
        using var collector = ExecCollector.ForToken(token);
        var psi = new ProcessStartInfo("/bin/true") { ArgumentList = { token } };
        string pad = new('p', 100_000); // MAX_ARG_STRLEN is 128 KiB: many arguments make the megabyte
        for (int i = 0; i < 12; i++)
            psi.ArgumentList.Add(pad);
        psi.ArgumentList.Add("TAIL");

        using (var p = Process.Start(psi)!)
        {
            p.WaitForExit();
        }

        var r = Assert.Single(collector.WaitForCount(1));
        Assert.True(r.ArgvTruncated);
        Assert.Equal(15, r.Argc);
        Assert.True(r.ArgvFullLength > ExecCapture.ArgvLimitBytes);
        Assert.Equal(ExecCapture.ArgvLimitBytes, r.Argv.Sum(a => a.Length + 1) - 1); // the last one cut, without its NUL
        Assert.Equal(token, r.Argv[1]);
        Assert.DoesNotContain("TAIL", r.Argv);
    }

    [KernelFact]
    public void InvalidUtf8Argument_SurvivesLosslessly()
    {
        string token = ExecCollector.NewToken();
        using var collector = ExecCollector.ForToken(token);

        // printf's octal escapes put raw 0xff and 0xc3 bytes into the argument.
        Programs.Run("/bin/sh", "-c", $"/bin/true \"$(printf '{token}\\377x\\303')\" 'é'");

        var r = Assert.Single(collector.WaitForCount(1));
        Assert.Equal(token + "\udcffx\udcc3", r.Argv[1]);
        Assert.Equal("é", r.Argv[2]);
    }

    [KernelFact]
    public void FullRing_CountsEveryDroppedExec()
    {
        const int Count = 200;
        string token = ExecCollector.NewToken();
        int mine = 0;
        // One page of ring (about 35 records) and nobody reading it until the storm is over.
        var options = new ExecCaptureOptions { RingBufferBytes = Environment.SystemPageSize, WakeupInterval = TimeSpan.FromMinutes(10) };
        Assert.True(ExecCapture.TryStart(r => { if (r.Comm == "true" && r.Argv.Length == 2 && r.Argv[1].StartsWith(token, StringComparison.Ordinal)) { mine++; } }, options, startThread: false, out ExecCapture? capture, out ProcWatch.Core.Failure failure), ProcWatch.Core.FailureText.OneLine(failure));
        using (capture)
        {
            Assert.Equal(0, Programs.Run("/bin/sh", "-c", $"i=0; while [ $i -lt {Count} ]; do /bin/true {token}-$i; i=$((i+1)); done"));
            while (capture.DrainOnce() > 0)
            {
            }
            ulong drops = capture.Drops;
            Assert.True(drops > 0, "the ring cannot hold 200 records");
            // Every exec of ours was either delivered or counted (drops may include other processes' execs).
            Assert.True((ulong)mine + drops >= Count, $"delivered {mine} + dropped {drops} < {Count}");
        }
    }

    private static ulong MonotonicNs() => (ulong)(Stopwatch.GetTimestamp() * (1_000_000_000.0 / Stopwatch.Frequency));
}
