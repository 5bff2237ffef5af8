using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ProcWatch.Tests.Helpers;
using Xunit;

namespace ProcWatch.Tests.Cli;

/// <summary>
/// <c>-p ROOT</c> follows the creator, not the parent link: a process the tree creates with
/// clone(CLONE_PARENT) gets the creator's parent, outside the tree, and its payload must still
/// be reported; a member whose parent dies (reparented to a subreaper outside the tree) stays a
/// member. Real processes (Helpers/clone_parent.c), three procwatch side by side: the kernel's
/// tree filter on, off (user space alone), and the connector-only backend, which sees real_parent
/// only (the limit docs/watched-tree.md states).
/// </summary>
[Collection(ProcWatch.Tests.Kernel.Ebpf.EbpfCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class TreeEscapeCliTests
{
    [KernelFact]
    public void PidTree_FollowsTheCreator_ThroughCloneParentAndReparenting()
    {
        string t = EventCollector.NewToken();
        string helper = NativeHelpers.Build("clone_parent.c");
        using Process p = Process.Start(new ProcessStartInfo(helper, [t]) { RedirectStandardInput = true, RedirectStandardOutput = true })!;
        try
        {
            int root = int.Parse(p.StandardOutput.ReadLine()!, CultureInfo.InvariantCulture);
            string[] args = ["-f", "json", "-e", "fork,exec,exit", "-v", "-p", root.ToString(CultureInfo.InvariantCulture)];
            using CliProcess kernelFilter = new(args);
            using CliProcess userSpace = new(args, environment: new Dictionary<string, string> { ["PROCWATCH_EBPF_PREFILTER"] = "0" });
            using CliProcess connector = new([.. args, "--backend", "connector"]);
            foreach (CliProcess w in (CliProcess[])[kernelFilter, userSpace, connector])
                w.WaitForReady(TimeSpan.FromSeconds(60));

            p.StandardInput.WriteLine("go");
            p.StandardInput.Flush();
            Assert.True(p.WaitForExit(TimeSpan.FromSeconds(60)), "clone_parent did not finish");
            Assert.Equal(0, p.ExitCode);

            var seen = new Dictionary<string, List<string>>();
            foreach ((string name, CliProcess w) in (ReadOnlySpan<(string, CliProcess)>)[("kernel filter", kernelFilter), ("user space", userSpace), ("connector", connector)])
            {
                // R's own last exec comes after every other process of the run has ended.
                Assert.True(w.WaitUntil(() => ExecOf(w.StdoutLines(), $"{t}-end") is not null, TimeSpan.FromSeconds(60)), $"{name}: no exec of {t}-end; stderr:\n{w.Stderr}");
                w.Signal(CliRunner.SIGINT);
                Assert.Equal(0, w.WaitForExit(TimeSpan.FromSeconds(30)));
                seen[name] = w.StdoutLines();
            }

            foreach (string name in (string[])["kernel filter", "user space"])
            {
                List<string> lines = seen[name];
                // The root's clone(CLONE_PARENT) child: its parent is P (outside), yet the root made it.
                string? cproot = ExecOf(lines, $"{t}-cproot");
                Assert.True(cproot is not null, $"{name}: the root's CLONE_PARENT child escaped the tree:\n{string.Join('\n', lines)}");
                Assert.Equal(p.Id, ParentPidOf(cproot));
                // A member's CLONE_PARENT child: its parent is the root.
                Assert.Equal(root, ParentPidOf(Assert.IsType<string>(ExecOf(lines, $"{t}-cpmember"))));
                // Reparented to the subreaper P when its parent died: still a member, and so is
                // what it creates with CLONE_PARENT (whose parent is P too).
                Assert.Equal(p.Id, ParentPidOf(Assert.IsType<string>(ExecOf(lines, $"{t}-orphan"))));
                Assert.Equal(p.Id, ParentPidOf(Assert.IsType<string>(ExecOf(lines, $"{t}-cporphan"))));
                // An outsider's CLONE_PARENT child stays outside.
                Assert.Null(ExecOf(lines, $"{t}-out"));
                Assert.Null(ExecOf(lines, $"{t}-outx"));
                Assert.DoesNotContain(lines, l => l.Contains("\"tree_bound\"", StringComparison.Ordinal));
                // The fork event says who made C (the root, not its parent P), and who made E
                // (A2, not its parent R); A2's own fork, made by its parent R, does not.
                Assert.Equal(root, CreatorOf(Assert.IsType<string>(ForkOf(lines, PidOf(cproot)))));
                int? a2 = CreatorOf(Assert.IsType<string>(ForkOf(lines, PidOf(Assert.IsType<string>(ExecOf(lines, $"{t}-cpmember"))))));
                Assert.True(a2 is not null && a2 != root, $"{name}: E's fork does not name A2 as its creator");
                Assert.Null(CreatorOf(Assert.IsType<string>(ForkOf(lines, a2.Value))));
            }

            // The connector names real_parent only (docs/watched-tree.md): a reparented member
            // stays in, a CLONE_PARENT child placed under an outsider is outside.
            List<string> connectorLines = seen["connector"];
            Assert.NotNull(ExecOf(connectorLines, $"{t}-cpmember"));
            Assert.NotNull(ExecOf(connectorLines, $"{t}-orphan"));
            Assert.Null(ExecOf(connectorLines, $"{t}-cproot"));
            Assert.Null(ExecOf(connectorLines, $"{t}-out"));
            Assert.DoesNotContain(connectorLines, l => l.Contains("\"creator\"", StringComparison.Ordinal)); // the connector does not know it
        }
        finally
        {
            if (!p.HasExited)
                p.Kill(entireProcessTree: true);
            p.WaitForExit();
        }
    }

    /// <summary>The exec event whose argv ends with <paramref name="arg"/>, or null.</summary>
    private static string? ExecOf(List<string> lines, string arg)
    {
        string quoted = "\"" + arg + "\"";
        return lines.Find(l => l.Contains("\"action\":\"exec\"", StringComparison.Ordinal) && l.Contains(quoted, StringComparison.Ordinal));
    }

    /// <summary>The fork event of <paramref name="pid"/>, or null.</summary>
    private static string? ForkOf(List<string> lines, int pid) =>
        lines.Find(l => l.Contains("\"action\":\"fork\"", StringComparison.Ordinal) && PidOf(l) == pid);

    private static int PidOf(string line)
    {
        using JsonDocument doc = JsonDocument.Parse(line);
        return doc.RootElement.GetProperty("process").GetProperty("pid").GetInt32();
    }

    /// <summary><c>procwatch.creator.pid</c>, or null when the fork does not say it.</summary>
    private static int? CreatorOf(string forkLine)
    {
        using JsonDocument doc = JsonDocument.Parse(forkLine);
        return doc.RootElement.GetProperty("procwatch").TryGetProperty("creator", out JsonElement c) ? c.GetProperty("pid").GetInt32() : null;
    }

    private static int? ParentPidOf(string line)
    {
        using JsonDocument doc = JsonDocument.Parse(line);
        return doc.RootElement.GetProperty("process").TryGetProperty("parent", out JsonElement parent) && parent.TryGetProperty("pid", out JsonElement pid) ? pid.GetInt32() : null;
    }
}
