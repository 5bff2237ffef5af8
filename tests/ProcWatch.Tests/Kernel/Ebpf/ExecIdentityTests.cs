using System.Text.Json;
using ProcWatch.Tests.Cli;
using ProcWatch.Tests.Helpers;
using Xunit;

namespace ProcWatch.Tests.Kernel.Ebpf;

/// <summary>
/// Issue 11 items 3 and 4 through the CLI with eBPF, on real processes: the executable's
/// SHA-256 equals sha256sum's and follows the file's changes, the reasons when there is
/// none, its mode and owner, and the ancestor chain across a reparent to a subreaper.
/// </summary>
[Collection(EbpfCollection.Name)]
public sealed class ExecIdentityTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [KernelFact]
    public void Hash_EqualsSha256sum_AndIsRecomputedAfterTheFileChanges()
    {
        string token = ExecCollector.NewToken();
        string dir = Directory.CreateTempSubdirectory("procwatch-hash-").FullName;
        string exe = Path.Combine(dir, "prog");
        File.Copy("/bin/true", exe);
        File.SetUnixFileMode(exe, (UnixFileMode)Convert.ToInt32("4755", 8)); // set-user-ID, owned by root
        try
        {
            using CliProcess p = CliRunner.Start("-v", "-e", "exec", "-f", "json", "--match", token);
            p.WaitForReady();
            string first = Sha256Sum(exe);
            JsonElement hashed = RunUntilHashed(p, exe, token + "-a");
            JsonElement process = hashed.GetProperty("process");
            Assert.Equal(first, process.GetProperty("hash").GetProperty("sha256").GetString());
            JsonElement procwatch = hashed.GetProperty("procwatch");
            Assert.False(procwatch.TryGetProperty("hash_status", out _));
            Assert.Equal("4755", procwatch.GetProperty("executable_mode").GetString());
            Assert.True(procwatch.GetProperty("setuid").GetBoolean());
            Assert.False(procwatch.TryGetProperty("setgid", out _));
            Assert.Equal("0", procwatch.GetProperty("executable_owner").GetProperty("id").GetString());
            // A small file is hashed on its very first exec (issue 22): no "pending".
            JsonElement firstExec = Execs(p, token + "-a")[0];
            Assert.Equal(first, firstExec.GetProperty("process").GetProperty("hash").GetProperty("sha256").GetString());

            // Appending keeps an ELF runnable; new size and mtime: a new version, hashed again.
            File.AppendAllText(exe, "appended");
            string second = Sha256Sum(exe);
            Assert.NotEqual(first, second);
            JsonElement rehashed = RunUntilHashed(p, exe, token + "-b");
            Assert.Equal(second, rehashed.GetProperty("process").GetProperty("hash").GetProperty("sha256").GetString());
            Assert.Equal(second, Execs(p, token + "-b")[0].GetProperty("process").GetProperty("hash").GetProperty("sha256").GetString());
            p.Signal(CliRunner.SIGINT);
            p.WaitForExit(TimeSpan.FromSeconds(20));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [KernelTheory]
    [InlineData("deleted")]
    [InlineData("memfd")]
    public void UnlinkedExecutable_SaysWhyItIsNotHashed(string mode)
    {
        string helper = NativeHelpers.Build("fexec_unlinked.c");
        string token = ExecCollector.NewToken();
        string copy = Path.Combine(Path.GetTempPath(), "pwhash-" + token);
        File.Copy("/bin/true", copy);
        try
        {
            using CliProcess p = CliRunner.Start("-v", "-e", "exec", "-f", "json", "--match", token);
            p.WaitForReady();
            Assert.Equal(0, Programs.Run(helper, mode, copy, "true", token));
            p.WaitUntil(() => Execs(p, token).Any(IsTrue), Deadline);
            p.Signal(CliRunner.SIGINT);
            p.WaitForExit(TimeSpan.FromSeconds(20));

            JsonElement exec = Assert.Single(Execs(p, token), IsTrue);
            // Read through /proc/PID/exe while the process lived; an unlinked file from the
            // descriptor held since its exec ("pending", then a hash event); else the reason.
            if (exec.GetProperty("process").TryGetProperty("hash", out JsonElement hash))
                Assert.Equal(Sha256Sum("/bin/true"), hash.GetProperty("sha256").GetString());
            else
                Assert.Contains(exec.GetProperty("procwatch").GetProperty("hash_status").GetString(), (string[])(mode == "memfd" ? ["memfd"] : ["deleted", "pending"]));
        }
        finally
        {
            File.Delete(copy);
        }

        static bool IsTrue(JsonElement e) => e.GetProperty("process").GetProperty("args")[0].GetString() == "true";
    }

    [KernelFact]
    public void NoHash_LeavesTheHashFieldsOut()
    {
        string token = ExecCollector.NewToken();
        using CliProcess p = CliRunner.Start("-v", "-e", "exec", "-f", "json", "--no-hash", "--match", token);
        p.WaitForReady();
        Assert.Equal(0, Programs.Run("/bin/true", token));
        p.WaitUntil(() => Execs(p, token).Count >= 1, Deadline);
        p.Signal(CliRunner.SIGINT);
        p.WaitForExit(TimeSpan.FromSeconds(20));
        JsonElement exec = Assert.Single(Execs(p, token));
        Assert.False(exec.GetProperty("process").TryGetProperty("hash", out _));
        Assert.False(exec.GetProperty("procwatch").TryGetProperty("hash_status", out _));
    }

    [KernelFact]
    public void Ancestors_FollowTheKernel_AcrossAReparentToASubreaper()
    {
        string helper = NativeHelpers.Build("subreaper.c");
        string token = ExecCollector.NewToken();
        using CliProcess p = CliRunner.Start("-v", "-e", "exec", "-f", "json", "--ancestors", "3", "--match", token);
        p.WaitForReady();
        Assert.Equal(0, Programs.Run(helper, token));
        p.WaitUntil(() => Execs(p, token).Any(e => Arg0(e) == "/bin/true"), Deadline);
        p.Signal(CliRunner.SIGINT);
        p.WaitForExit(TimeSpan.FromSeconds(20));

        List<JsonElement> execs = Execs(p, token);
        JsonElement reaper = Assert.Single(execs, e => Arg0(e) == helper).GetProperty("process");
        JsonElement shell = Assert.Single(execs, e => Arg0(e) == "sh" && e.GetProperty("process").GetProperty("args").GetArrayLength() == 4).GetProperty("process");
        JsonElement trueExec = Assert.Single(execs, e => Arg0(e) == "/bin/true");
        int reaperPid = reaper.GetProperty("pid").GetInt32();

        // sh exec'd as A's child; A exited, and the kernel reparented sh to the subreaper (no event says so).
        Assert.NotEqual(reaperPid, shell.GetProperty("parent").GetProperty("pid").GetInt32());
        JsonElement[] chain = trueExec.GetProperty("procwatch").GetProperty("ancestors").EnumerateArray().ToArray();
        Assert.Equal(3, chain.Length);
        Assert.Equal(shell.GetProperty("pid").GetInt32(), chain[0].GetProperty("pid").GetInt32());
        Assert.Equal(shell.GetProperty("entity_id").GetString(), chain[0].GetProperty("entity_id").GetString());
        Assert.Equal(reaperPid, chain[1].GetProperty("pid").GetInt32());
        Assert.Equal(reaper.GetProperty("entity_id").GetString(), chain[1].GetProperty("entity_id").GetString());
        Assert.Equal(helper, chain[1].GetProperty("executable").GetString());
        Assert.Equal([helper, token], chain[1].GetProperty("args").EnumerateArray().Select(a => a.GetString()!));
        // Then the subreaper's own parent (the test host), as its exec reported it.
        Assert.Equal(reaper.GetProperty("parent").GetProperty("pid").GetInt32(), chain[2].GetProperty("pid").GetInt32());
        Assert.Equal(chain[0].GetProperty("pid").GetInt32(), trueExec.GetProperty("process").GetProperty("parent").GetProperty("pid").GetInt32());

        static string? Arg0(JsonElement e) => e.GetProperty("process").GetProperty("args")[0].GetString();
    }

    private static JsonElement RunUntilHashed(CliProcess p, string exe, string token)
    {
        var deadline = DateTime.UtcNow + Deadline;
        for (int round = 1; DateTime.UtcNow < deadline; round++)
        {
            Assert.Equal(0, Programs.Run(exe, token));
            p.WaitUntil(() => Execs(p, token).Count >= round, Deadline);
            JsonElement last = Execs(p, token)[^1];
            if (last.GetProperty("process").TryGetProperty("hash", out _))
                return last;
            Thread.Sleep(50);
        }
        throw new TimeoutException($"{exe} was never hashed");
    }

    private static string Sha256Sum(string path)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("sha256sum", [path]) { RedirectStandardOutput = true };
        using var p = System.Diagnostics.Process.Start(psi)!;
        string line = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return line.Split(' ')[0];
    }

    private static List<JsonElement> Execs(CliProcess p, string token)
    {
        var result = new List<JsonElement>();
        foreach (string line in p.StdoutLines())
        {
            if (!line.StartsWith('{'))
                continue;
            JsonElement e = JsonDocument.Parse(line).RootElement;
            if (e.GetProperty("event").GetProperty("action").GetString() != "exec")
                continue;
            if (e.GetProperty("process").TryGetProperty("args", out JsonElement args) && args.EnumerateArray().Any(a => a.GetString()!.Contains(token, StringComparison.Ordinal)))
                result.Add(e);
        }
        return result;
    }
}
