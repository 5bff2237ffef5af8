using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using ProcWatch.Cli.Doctor;
using ProcWatch.Core;
using Xunit;

namespace ProcWatch.Tests.Cli;

/// <summary>
/// `procwatch doctor` on the real host: every field checked against what the test reads for
/// itself, the verdict against what a watch actually does, the exit code against the verdict,
/// and the host left as it was (nothing mounted).
/// </summary>
public class DoctorTests
{
    private static JsonElement Doctor(out int code, out string stderr)
    {
        (code, string stdout, stderr) = CliRunner.Run("doctor", "--json");
        using JsonDocument doc = JsonDocument.Parse(stdout);
        return doc.RootElement.Clone();
    }

    private static string[] Mounts(string fsType) =>
        [.. File.ReadAllLines("/proc/self/mountinfo").Where(l => l.Contains($" - {fsType} ", StringComparison.Ordinal)).Select(l => l.Split(' ')[4])];

    [Fact]
    public void Json_FieldsMatchTheHost()
    {
        JsonElement d = Doctor(out int code, out string stderr);
        Assert.Equal("", stderr);
        Assert.Equal(File.ReadAllText("/proc/sys/kernel/osrelease").Trim(), d.GetProperty("kernel").GetString());
        Assert.Equal(Environment.MachineName, d.GetProperty("hostname").GetString());
        Assert.Equal(code, d.GetProperty("exit_code").GetInt32());

        JsonElement connector = d.GetProperty("connector");
        Assert.Equal(Environment.OSVersion.Version >= new Version(6, 6), connector.GetProperty("kernel_filter").GetBoolean());
        Assert.Equal(connector.GetProperty("available").GetBoolean(), connector.GetProperty("reason").ValueKind == JsonValueKind.Null);

        JsonElement ebpf = d.GetProperty("ebpf");
        bool libbpf = NativeLibrary.TryLoad("libbpf.so.1", out nint handle);
        if (libbpf) NativeLibrary.Free(handle);
        Assert.Equal(libbpf, ebpf.GetProperty("libbpf").GetBoolean());
        Assert.Equal(File.Exists("/sys/kernel/btf/vmlinux"), ebpf.GetProperty("btf").GetBoolean());
        bool loaded = ebpf.GetProperty("available").GetBoolean();
        Assert.Equal(loaded, ebpf.GetProperty("attach_mode").ValueKind == JsonValueKind.String);
        Assert.Equal(loaded, ebpf.GetProperty("reason").ValueKind == JsonValueKind.Null);
        if (loaded)
            Assert.Contains(ebpf.GetProperty("attach_mode").GetString(), (string[])["tp_btf", "raw_tp", "tracepoint"]);
        if (Environment.UserName == "root")
            Assert.True(ebpf.GetProperty("capabilities").GetBoolean());
        // The cross-check's socket filter loads with the capture and attaches to a connector socket wherever eBPF works as root.
        if (!loaded)
            Assert.Equal(JsonValueKind.Null, ebpf.GetProperty("cross_check_count").ValueKind);
        else if (Environment.UserName == "root")
        {
            Assert.Equal("kernel", ebpf.GetProperty("cross_check_count").GetString());
            Assert.Equal(JsonValueKind.Null, ebpf.GetProperty("cross_check_count_reason").ValueKind);
        }

        JsonElement tracefs = d.GetProperty("tracefs");
        string[] tracefsMounts = Mounts("tracefs");
        Assert.Equal(tracefsMounts.Length > 0, tracefs.GetProperty("mounted").GetBoolean());
        Assert.Equal(tracefsMounts, tracefs.GetProperty("mount_points").EnumerateArray().Select(e => e.GetString()!).ToArray());

        JsonElement cgroup = d.GetProperty("cgroup");
        int v1 = Mounts("cgroup").Length;
        string[] v2 = Mounts("cgroup2");
        string expectedLayout = (v1 > 0, v2.Length > 0) switch { (true, true) => "hybrid", (true, false) => "v1", (false, true) => "v2", _ => "none" };
        Assert.Equal(expectedLayout, cgroup.GetProperty("layout").GetString());
        Assert.Equal(v1, cgroup.GetProperty("v1_hierarchies").GetInt32());
        if (v2.Length > 0)
        {
            Assert.Equal(v2[0], cgroup.GetProperty("cgroup2_mount").GetString());
            // doctor's own cgroup is ours (a child stays in its parent's cgroup): it resolves under the mount.
            string ours = File.ReadAllLines("/proc/self/cgroup").Single(l => l.StartsWith("0::", StringComparison.Ordinal))[3..];
            Assert.Equal(ours, cgroup.GetProperty("path").GetString());
            Assert.Equal(Directory.Exists(v2[0] + ours), cgroup.GetProperty("ids_resolve").GetBoolean());
        }

        JsonElement ns = d.GetProperty("namespace");
        Assert.Equal(long.Parse(File.ReadAllText("/proc/sys/kernel/pid_max").Trim(), System.Globalization.CultureInfo.InvariantCulture), ns.GetProperty("pid_max").GetInt64());
        Assert.Equal(new FileInfo("/proc/self/ns/pid").LinkTarget == "pid:[4026531836]", ns.GetProperty("initial_pid").GetBoolean());
        Assert.Equal(File.Exists("/.dockerenv"), ns.GetProperty("container").GetString()?.Contains("/.dockerenv", StringComparison.Ordinal) ?? false);

        JsonElement auto = d.GetProperty("auto");
        bool best = auto.GetProperty("best").GetBoolean();
        Assert.Equal(best, code == 0);
        Assert.Equal(best, auto.GetProperty("loses").GetArrayLength() == 0);
        string expectedBackend = !connector.GetProperty("available").GetBoolean() ? "procfs" : loaded ? "connector+ebpf" : "connector";
        Assert.Equal(expectedBackend, auto.GetProperty("backend").GetString());
        Assert.Contains(code, (int[])[0, 3, 4]);
    }

    /// <summary>What doctor says auto picks is what a watch then uses.</summary>
    [Fact]
    public void AutoVerdict_IsWhatTheWatchDoes()
    {
        JsonElement d = Doctor(out _, out _);
        string backend = d.GetProperty("auto").GetProperty("backend").GetString()!;
        (int code, _, string stderr) = CliRunner.Run("-D", "0.3", "-v", "-o", "/dev/null");
        Assert.Equal(0, code);
        string ready = stderr.Split('\n').Single(l => l.StartsWith("procwatch: ready", StringComparison.Ordinal));
        Assert.Equal(backend == "connector+ebpf", ready.Contains("argv from eBPF", StringComparison.Ordinal));
        Assert.Equal(backend == "procfs", ready.Contains("procfs", StringComparison.Ordinal));
        if (backend != "connector+ebpf")
            Assert.Contains("run procwatch doctor", stderr);
    }

    [Fact]
    public void Text_OneScreen_SameVerdictAsJson()
    {
        JsonElement d = Doctor(out int jsonCode, out _);
        (int code, string stdout, string stderr) = CliRunner.Run("doctor");
        Assert.Equal(jsonCode, code);
        Assert.Equal("", stderr);
        string[] lines = stdout.TrimEnd('\n').Split('\n');
        Assert.InRange(lines.Length, 10, 24);
        Assert.StartsWith($"procwatch doctor: {Environment.MachineName}, Linux ", lines[0]);
        foreach (string label in (string[])["proc connector", "eBPF exec capture", "  libbpf", "  BTF", "  capabilities", "  lockdown", "  attach", "tracefs", "cgroups", "pid namespace", "/proc", "backend auto", "result"])
            Assert.Contains(lines, l => l.StartsWith(label.PadRight(18), StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("result", StringComparison.Ordinal) && l.Contains($"exit {code}:", StringComparison.Ordinal));
        Assert.Equal(d.GetProperty("auto").GetProperty("loses").GetArrayLength(), lines.Count(l => l.StartsWith("  you lose", StringComparison.Ordinal)));
    }

    /// <summary>Doctor reports tracefs and never mounts it (nor anything else), even where it is absent.</summary>
    [Fact]
    public void NeverMountsAnything()
    {
        // Kernel interfaces only: other tests on this machine mount their own scratch file systems meanwhile.
        static string[] KernelMounts() => [.. File.ReadAllLines("/proc/self/mountinfo").Select(l => l.Split(' ')[4])
            .Where(m => m.StartsWith("/sys", StringComparison.Ordinal) || m.StartsWith("/proc", StringComparison.Ordinal)).Order(StringComparer.Ordinal)];
        string[] before = KernelMounts();
        // In a private mount namespace without tracefs (unmounted there if the host has it),
        // doctor runs, then the same shell lists what is mounted.
        string script = "for m in $(awk '$9 == \"tracefs\" {print $5}' /proc/self/mountinfo | sort -r); do umount \"$m\"; done; "
            + "\"$@\" doctor --json > /tmp/procwatch-doctor-$$.json; echo rc=$?; cat /tmp/procwatch-doctor-$$.json; rm -f /tmp/procwatch-doctor-$$.json; "
            + "awk '{print $5, $9}' /proc/self/mountinfo | grep -c -w tracefs";
        var psi = new ProcessStartInfo("/usr/bin/unshare") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in (string[])["-m", "--propagation", "private", "/bin/sh", "-c", script, "sh", .. CliRunner.Command]) psi.ArgumentList.Add(a);
        using Process p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        string errors = p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(30_000));
        string[] lines = output.TrimEnd('\n').Split('\n');
        Assert.True(lines.Length >= 3, $"stdout:\n{output}\nstderr:\n{errors}");
        Assert.Equal("0", lines[^1]); // still no tracefs after doctor ran
        using JsonDocument doc = JsonDocument.Parse(lines[1]);
        Assert.False(doc.RootElement.GetProperty("tracefs").GetProperty("mounted").GetBoolean());
        Assert.Equal($"rc={doc.RootElement.GetProperty("exit_code").GetInt32()}", lines[0]);

        // And on the host itself: nothing added or removed.
        CliRunner.Run("doctor");
        string[] after = KernelMounts();
        Assert.Equal(before, after);
    }

    [Fact]
    public void Unprivileged_IsExitThree_SayingCapabilities()
    {
        var psi = new ProcessStartInfo("/usr/bin/setpriv") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/tmp" };
        foreach (string a in (string[])["--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/env", "HOME=/tmp", .. CliRunner.Command, "doctor", "--json"])
            psi.ArgumentList.Add(a);
        using Process p = Process.Start(psi)!;
        string stdout = p.StandardOutput.ReadToEnd();
        string stderr = p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(30_000));
        Assert.True(p.ExitCode == 3, $"exit {p.ExitCode}; stdout:\n{stdout}\nstderr:\n{stderr}");
        using JsonDocument doc = JsonDocument.Parse(stdout);
        JsonElement ebpf = doc.RootElement.GetProperty("ebpf");
        Assert.False(doc.RootElement.GetProperty("root").GetBoolean());
        Assert.False(ebpf.GetProperty("available").GetBoolean());
        Assert.False(ebpf.GetProperty("capabilities").GetBoolean());
        Assert.Equal(0, ebpf.GetProperty("capabilities_held").GetArrayLength());
        Assert.Equal("needs CAP_BPF and CAP_PERFMON (or root)", ebpf.GetProperty("reason").GetString());
        Assert.Equal(3, doc.RootElement.GetProperty("exit_code").GetInt32());
    }

    [Fact]
    public void AttachFailures_OnePerMode_WordedByTheFormatter()
    {
        var ladder = new Failure(FailureKind.KernelUnsupported, 0, FailureStep.EveryAttachType)
        {
            Attempts =
            [
                new("tp_btf", new Failure(FailureKind.KernelUnsupported, 22, FailureStep.LoadProgram, "the tp_btf program") { Detail = "no BTF; really" }),
                new("raw_tp", new Failure(FailureKind.KernelUnsupported, 0, FailureStep.AttachModeNotAllowed, "PROCWATCH_EBPF_ATTACH")),
                new("tracepoint", new Failure(FailureKind.KernelUnsupported, 2, FailureStep.AttachTracepointWithoutTracefs, "sched/sched_process_exec")),
            ],
        };
        Assert.Equal(
        [
            new AttachFailure("tp_btf", "loading the tp_btf program failed: invalid argument; libbpf: no BTF; really"),
            new AttachFailure("raw_tp", "not allowed by PROCWATCH_EBPF_ATTACH"),
            new AttachFailure("tracepoint", "attaching to tracepoint sched/sched_process_exec (tracefs is not mounted) failed: no such file or directory"),
        ], EbpfAttachProbe.Listed(ladder.Attempts));
        Assert.Empty(EbpfAttachProbe.Listed(new Failure(FailureKind.NoPrivilege, 1, FailureStep.BpfCapabilities).Attempts));
    }

    [Fact]
    public void MissingPrivilegeOrMechanism_FollowsTheFailureKind_NotItsWords()
    {
        // The same step and errno: only the kind says whether sudo helps.
        Assert.Equal(Missing.Privilege, HostChecks.MissingFor(new Failure(FailureKind.NoPrivilege, 1, FailureStep.BindConnector, "user and pid")));
        Assert.Equal(Missing.Mechanism, HostChecks.MissingFor(new Failure(FailureKind.KernelUnsupported, 1, FailureStep.LoadProgram, "lsm program deny_lsm")));
        Assert.Equal(Missing.Mechanism, HostChecks.MissingFor(new Failure(FailureKind.KernelUnsupported, 0, FailureStep.ProbeSawNothing, "1000")));
        Assert.Equal(Missing.Privilege, HostChecks.MissingFor(new Failure(FailureKind.NoPrivilege, 1, FailureStep.BpfCapabilities)));
    }

    /// <summary>Doctor walks the same attach ladder as a watch: with tp_btf ruled out, raw_tp, and tp_btf's failure listed.</summary>
    [Fact]
    public void AttachLadder_RestrictedByTheEnvironment_IsReported()
    {
        var psi = new ProcessStartInfo(CliRunner.Command[0]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in CliRunner.Command.Skip(1).Concat(["doctor", "--json"])) psi.ArgumentList.Add(a);
        psi.Environment["PROCWATCH_EBPF_ATTACH"] = "raw_tp";
        using Process p = Process.Start(psi)!;
        string stdout = p.StandardOutput.ReadToEnd();
        p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(30_000));
        using JsonDocument doc = JsonDocument.Parse(stdout);
        JsonElement ebpf = doc.RootElement.GetProperty("ebpf");
        JsonElement failure = Assert.Single(ebpf.GetProperty("attach_failures").EnumerateArray().ToArray(), f => f.GetProperty("mode").GetString() == "tp_btf");
        Assert.Equal("not allowed by PROCWATCH_EBPF_ATTACH", failure.GetProperty("reason").GetString());
        if (ebpf.GetProperty("available").GetBoolean())
            Assert.Equal("raw_tp", ebpf.GetProperty("attach_mode").GetString());
        else
            Assert.Contains(ebpf.GetProperty("attach_failures").EnumerateArray(), f => f.GetProperty("mode").GetString() == "raw_tp");
    }

    [Theory]
    [InlineData(true, "Nothing", 0)]
    [InlineData(false, "Privilege", 3)]
    [InlineData(false, "Mechanism", 4)]
    public void ExitCode_FollowsWhatIsMissing(bool best, string missing, int expected) =>
        Assert.Equal(expected, DoctorCommand.ExitCode(new AutoBackendFinding("x", best, [], Enum.Parse<Missing>(missing))));
}
