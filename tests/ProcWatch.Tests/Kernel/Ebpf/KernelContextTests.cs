using System.Text.Json;
using ProcWatch.Tests.Cli;
using ProcWatch.Tests.Helpers;
using Xunit;

namespace ProcWatch.Tests.Kernel.Ebpf;

/// <summary>
/// The CLI with eBPF: the exec event is what the kernel saw at the exec, read from nowhere
/// else (issue 11), and argv padded past one ring record still reaches --match (B2). Real
/// processes, exact fields. Entity ids across pid reuse (issue 10 B9): <see cref="PidReuseEntityIdTests"/>.
/// </summary>
[Collection(EbpfCollection.Name)]
public sealed class KernelContextTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [KernelFact]
    public void Match_SeesTheArgumentAfter70000BytesOfPadding_WithTheTrueCount()
    {
        string token = ExecCollector.NewToken();
        string tail = "EVILTAIL" + token;
        string pad = new('x', 70_000);
        using CliProcess p = CliRunner.Start("-v", "-e", "exec", "-f", "json", "--match", tail);
        p.WaitForReady();
        Assert.Equal(0, Programs.Run("/bin/sh", "-c", "sleep 0.2", pad, tail));
        p.WaitUntil(() => Execs(p, tail).Count >= 1, Deadline);
        p.Signal(CliRunner.SIGINT);
        p.WaitForExit(TimeSpan.FromSeconds(20));

        JsonElement exec = Assert.Single(Execs(p, tail));
        JsonElement process = exec.GetProperty("process");
        Assert.Equal(["/bin/sh", "-c", "sleep 0.2", pad, tail], process.GetProperty("args").EnumerateArray().Select(a => a.GetString()!));
        Assert.Equal(5, process.GetProperty("args_count").GetInt32());
        Assert.False(exec.GetProperty("procwatch").TryGetProperty("args_truncated", out _));
        Assert.Equal("ebpf", exec.GetProperty("procwatch").GetProperty("argv_source").GetString());
    }

    [KernelFact]
    public void Cwd_IsTheOneAtExec_ForAProgramThatChdirsFirstThing_300Times()
    {
        string helper = NativeHelpers.Build("chdir_first.c");
        string token = ExecCollector.NewToken();
        string dir = Directory.CreateTempSubdirectory("procwatch-cwd-").FullName;
        try
        {
            using CliProcess p = CliRunner.Start("-v", "-e", "exec", "-f", "json", "--match", token);
            p.WaitForReady();
            Assert.Equal(0, Programs.Run("/bin/sh", "-c", $"cd '{dir}' && i=0; while [ $i -lt 300 ]; do '{helper}' {token} || exit 1; i=$((i+1)); done"));
            p.WaitUntil(() => Execs(p, token).Count(IsHelper) >= 300, Deadline);
            p.Signal(CliRunner.SIGINT);
            p.WaitForExit(TimeSpan.FromSeconds(20));

            List<JsonElement> execs = Execs(p, token).Where(IsHelper).ToList();
            Assert.Equal(300, execs.Count);
            Assert.All(execs, e => Assert.Equal(dir, e.GetProperty("process").GetProperty("working_directory").GetString()));
            Assert.All(execs, e => Assert.Equal(helper, e.GetProperty("process").GetProperty("executable").GetString()));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }

        bool IsHelper(JsonElement e) => e.GetProperty("process").GetProperty("args")[0].GetString() == helper;
    }

    [KernelFact]
    public void Chroot_PathsAreReportedAsTheHostSeesThem()
    {
        string token = ExecCollector.NewToken();
        string root = Directory.CreateTempSubdirectory("procwatch-chroot-").FullName;
        try
        {
            // A private mount namespace holds the bind mount; chroot(8) then chdirs to the new root.
            JsonElement process = ExecInPrivateMountNamespace(token, $"mount --bind / '{root}' && chroot '{root}' /bin/true {token}", IsTrue);
            Assert.Equal(root + RealPath("/bin/true"), process.GetProperty("executable").GetString());
            Assert.Equal(root, process.GetProperty("working_directory").GetString());
        }
        finally
        {
            Directory.Delete(root);
        }

        static bool IsTrue(JsonElement e) => e.GetProperty("process").GetProperty("name").GetString() == "true";
    }

    [KernelFact]
    public void NewMountNamespace_PathIsTheOneInThatNamespace()
    {
        string token = ExecCollector.NewToken();
        string mountPoint = Directory.CreateTempSubdirectory("procwatch-mntns-").FullName;
        try
        {
            // A tmpfs only that namespace has, with a copy of true on it.
            JsonElement process = ExecInPrivateMountNamespace(token,
                $"mount -t tmpfs pwtest '{mountPoint}' && cp /bin/true '{mountPoint}/inns' && cd '{mountPoint}' && ./inns {token}", IsCopy);
            Assert.Equal(mountPoint + "/inns", process.GetProperty("executable").GetString());
            Assert.Equal(mountPoint, process.GetProperty("working_directory").GetString());
        }
        finally
        {
            Directory.Delete(mountPoint);
        }

        static bool IsCopy(JsonElement e) => e.GetProperty("process").GetProperty("name").GetString() == "inns";
    }

    [KernelTheory]
    [InlineData("deleted")]
    [InlineData("memfd")]
    public void UnlinkedExecutable_IsFlagged(string mode)
    {
        string helper = NativeHelpers.Build("fexec_unlinked.c");
        string token = ExecCollector.NewToken();
        string copy = Path.Combine(Path.GetTempPath(), "pwtest-" + token);
        File.Copy("/bin/true", copy);
        try
        {
            using CliProcess p = CliRunner.Start("-v", "-e", "exec", "-f", "json", "--match", token);
            p.WaitForReady();
            Assert.Equal(0, Programs.Run(helper, mode, copy, "true", token));
            p.WaitUntil(() => Execs(p, token).Any(IsSleep), Deadline);
            p.Signal(CliRunner.SIGINT);
            p.WaitForExit(TimeSpan.FromSeconds(20));

            JsonElement exec = Assert.Single(Execs(p, token), IsSleep);
            JsonElement procwatch = exec.GetProperty("procwatch");
            Assert.True(procwatch.GetProperty("executable_deleted").GetBoolean());
            string executable = exec.GetProperty("process").GetProperty("executable").GetString()!;
            if (mode == "memfd")
            {
                Assert.Equal("/memfd:pwtest", executable);
                Assert.True(procwatch.GetProperty("executable_memfd").GetBoolean());
            }
            else
            {
                Assert.Equal(copy, executable);
                Assert.False(procwatch.TryGetProperty("executable_memfd", out _));
            }
        }
        finally
        {
            File.Delete(copy);
        }

        static bool IsSleep(JsonElement e) => e.GetProperty("process").GetProperty("args")[0].GetString() == "true";
    }

    /// <summary>
    /// Runs <paramref name="script"/> in a private mount namespace under a watching procwatch;
    /// returns the "process" object of the one exec carrying <paramref name="token"/> that <paramref name="match"/> picks.
    /// </summary>
    private static JsonElement ExecInPrivateMountNamespace(string token, string script, Func<JsonElement, bool> match)
    {
        using CliProcess p = CliRunner.Start("-v", "-e", "exec", "-f", "json", "--match", token);
        p.WaitForReady();
        Assert.Equal(0, Programs.Run("/usr/bin/unshare", "-m", "--propagation", "private", "/bin/sh", "-c", script));
        p.WaitUntil(() => Execs(p, token).Any(match), Deadline);
        p.Signal(CliRunner.SIGINT);
        p.WaitForExit(TimeSpan.FromSeconds(20));
        return Assert.Single(Execs(p, token), e => match(e)).GetProperty("process").Clone();
    }

    /// <summary>
    /// A shell older than procwatch is known from /proc's ticks; when it later execs, the
    /// kernel's exact start must not give it a second id: its child's parent.entity_id, its
    /// own exec and its exit all carry one id.
    /// </summary>
    [KernelFact]
    public void EntityId_OfAProcessOlderThanProcwatch_StaysTheSameWhenItExecs()
    {
        string token = ExecCollector.NewToken();
        string flag = Path.Combine(Path.GetTempPath(), "procwatch-older-" + token);
        using var older = Programs.Start("/bin/sh", "-c", $"while [ ! -e '{flag}' ]; do sleep 0.05; done; /bin/true CHILD{token}; exec /bin/true SELF{token}");
        try
        {
            Thread.Sleep(200); // the shell runs before procwatch starts
            using CliProcess p = CliRunner.Start("-v", "-e", "exec,exit", "-f", "json");
            p.WaitForReady();
            File.WriteAllText(flag, "");
            older.WaitForExit();
            p.WaitUntil(() => Execs(p, "SELF" + token).Count >= 1 && p.StdoutLines().Any(l => l.Contains("\"exit\"", StringComparison.Ordinal) && l.Contains($"\"pid\":{older.Id},", StringComparison.Ordinal)), Deadline);
            p.Signal(CliRunner.SIGINT);
            p.WaitForExit(TimeSpan.FromSeconds(20));

            JsonElement child = Assert.Single(Execs(p, "CHILD" + token));
            JsonElement self = Assert.Single(Execs(p, "SELF" + token));
            JsonElement parent = child.GetProperty("process").GetProperty("parent");
            Assert.Equal(older.Id, parent.GetProperty("pid").GetInt32());
            string id = parent.GetProperty("entity_id").GetString()!;
            Assert.Equal(older.Id, self.GetProperty("process").GetProperty("pid").GetInt32());
            Assert.Equal(id, self.GetProperty("process").GetProperty("entity_id").GetString());
            JsonElement exit = p.StdoutLines().Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement)
                .Single(e => e.GetProperty("event").GetProperty("action").GetString() == "exit" && e.GetProperty("process").GetProperty("pid").GetInt32() == older.Id);
            Assert.Equal(id, exit.GetProperty("process").GetProperty("entity_id").GetString());
        }
        finally
        {
            File.Delete(flag);
        }
    }

    private static string RealPath(string path)
    {
        using var readlink = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("readlink", ["-f", path]) { RedirectStandardOutput = true })!;
        string resolved = readlink.StandardOutput.ReadToEnd().Trim();
        readlink.WaitForExit();
        return resolved;
    }

    internal static List<JsonElement> Execs(CliProcess p, string token)
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
