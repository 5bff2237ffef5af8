using Xunit;
using ProcWatch.Events;
using ProcWatch.Rules;

namespace ProcWatch.Tests.Daemon;

public sealed class RuleMatchingTests
{
    private static ExecEvent Exec(string? exe, string[]? args, uint uid = 33, string? user = "www-data", string? parentExe = "/usr/sbin/nginx", int pid = 4242) => new()
    {
        KernelTimeNs = 1,
        Timestamp = DateTimeOffset.UnixEpoch,
        Pid = pid,
        Tid = pid,
        Process = new ProcessInfo
        {
            Pid = pid,
            ParentPid = 100,
            Name = exe is null ? null : Path.GetFileName(exe),
            Executable = exe,
            Args = args,
            User = new IdName(uid, user),
            Parent = new ParentInfo { Pid = 100, Executable = parentExe },
        },
    };

    private static CompiledRule Rule(RuleMatch match) => new(new RuleDefinition { Name = "r", Match = match });

    [Fact]
    public void All_given_conditions_must_hold()
    {
        CompiledRule rule = Rule(new RuleMatch
        {
            Executable = "/usr/bin/*sh",
            Args = "-c",
            User = "www-data",
            ParentExecutable = "/usr/sbin/nginx",
        });
        Assert.True(rule.Matches(Exec("/usr/bin/bash", ["bash", "-c", "id"])));
        Assert.False(rule.Matches(Exec("/usr/bin/python3", ["python3", "-c", "1"])));
        Assert.False(rule.Matches(Exec("/usr/bin/bash", ["bash", "-i"])));
        Assert.False(rule.Matches(Exec("/usr/bin/bash", ["bash", "-c", "id"], uid: 0, user: "root")));
        Assert.False(rule.Matches(Exec("/usr/bin/bash", ["bash", "-c", "id"], parentExe: "/usr/sbin/sshd")));
    }

    [Fact]
    public void Unknown_details_do_not_match_and_other_kinds_are_ignored()
    {
        CompiledRule rule = Rule(new RuleMatch { Executable = "/usr/bin/*" });
        Assert.False(rule.Matches(Exec(null, null)));
        Assert.False(rule.Matches(new ExecEvent { KernelTimeNs = 1, Timestamp = default, Pid = 1, Tid = 1 }));
        var exit = new ExitEvent { KernelTimeNs = 1, Timestamp = default, Pid = 4242, Tid = 4242, Status = null, Process = Exec("/usr/bin/ls", ["ls"]).Process };
        Assert.False(rule.Matches(exit));
        Assert.True(Rule(new RuleMatch { Events = ProcessEventKinds.Exit, Executable = "/usr/bin/*" }).Matches(exit));
    }

    [Fact]
    public void User_matches_by_name_or_uid()
    {
        Assert.True(Rule(new RuleMatch { User = "33" }).Matches(Exec("/bin/x", ["x"])));
        Assert.False(Rule(new RuleMatch { User = "0" }).Matches(Exec("/bin/x", ["x"])));
        Assert.True(Rule(new RuleMatch { User = "root" }).Matches(Exec("/bin/x", ["x"], uid: 0, user: "root")));
    }

    [Theory]
    [InlineData("curl http", true)]
    [InlineData("CURL", false)]
    [InlineData("/curl\\s+https?:/", true)]
    [InlineData("/^curl/", true)]
    [InlineData("/^CURL/i", true)]
    [InlineData("/wget|nc/", false)]
    [InlineData("$(", false)]
    public void Args_are_a_substring_or_a_slash_delimited_regex(string pattern, bool matches) =>
        Assert.Equal(matches, Rule(new RuleMatch { Args = pattern }).Matches(Exec("/usr/bin/curl", ["curl", "http://example.test/x"])));

    [Fact]
    public void Args_match_the_quoted_command_line()
    {
        // The shell-quoted form, as in process.command_line.
        Assert.True(Rule(new RuleMatch { Args = "-c 'rm -rf /'" }).Matches(Exec("/bin/sh", ["sh", "-c", "rm -rf /"])));
    }

    [Fact]
    public void The_rate_limit_allows_a_burst_then_refills_over_the_period()
    {
        var bucket = new TokenBucket(3, TimeSpan.FromMinutes(1));
        long t = 1_000;
        Assert.True(bucket.TryTake(t));
        Assert.True(bucket.TryTake(t));
        Assert.True(bucket.TryTake(t));
        Assert.False(bucket.TryTake(t));
        long twentySeconds = 20 * System.Diagnostics.Stopwatch.Frequency;
        Assert.True(bucket.TryTake(t + twentySeconds));
        Assert.False(bucket.TryTake(t + twentySeconds));
    }

    [Fact]
    public void The_daemons_own_descendants_are_known_from_fork_events_and_forgotten_at_exit()
    {
        const int self = 500;
        var own = new OwnProcessTracker(self);
        ForkEvent Fork(int parent, int child) => new() { KernelTimeNs = 1, Timestamp = default, Pid = child, Tid = child, ParentPid = parent, ParentTid = parent };
        ExitEvent Exit(int pid) => new() { KernelTimeNs = 1, Timestamp = default, Pid = pid, Tid = pid, Status = null };
        ExecEvent ExecOf(int pid) => new() { KernelTimeNs = 1, Timestamp = default, Pid = pid, Tid = pid };

        foreach (ProcessEvent e in new ProcessEvent[] { Fork(self, 501), Fork(501, 502), Fork(77, 78) })
            own.Observe(e);
        Assert.True(own.IsOwn(ExecOf(501)));
        Assert.True(own.IsOwn(ExecOf(502)));
        Assert.False(own.IsOwn(ExecOf(78)));
        own.Forget(Exit(502));
        Assert.False(own.IsOwn(ExecOf(502)));
        Assert.Equal(1, own.Count);

        // After a loss an exit may be missing and the pid reused by anyone: forget what cannot
        // be shown to be the same process (these pids are made up), so a reused pid never hides.
        own.Observe(new LostEvent { KernelTimeNs = 1, Timestamp = default, Pid = 0, Tid = 0, Reason = LossReason.KernelBufferOverrun, Count = 0 });
        Assert.Equal(0, own.Count);
        Assert.False(own.IsOwn(ExecOf(501)));
        Assert.True(own.IsOwn(ExecOf(self)));
    }

    [Fact]
    public void Rules_are_picked_by_kind_once_and_share_one_joined_command_line()
    {
        var set = new ProcWatch.Daemon.Hosting.RuleSet(
        [
            new RuleDefinition { Name = "exec-sh", Match = new RuleMatch { Args = "-c" } },
            new RuleDefinition { Name = "exit", Match = new RuleMatch { Events = ProcessEventKinds.Exit } },
            new RuleDefinition { Name = "exec-id", Match = new RuleMatch { Args = "id" } },
        ]);
        Assert.Equal([0, 2], set.OwnRulesFor(ProcessEventKind.Exec).ToArray());
        Assert.Equal([1], set.OwnRulesFor(ProcessEventKind.Exit).ToArray());
        Assert.True(set.OwnRulesFor(ProcessEventKind.Comm).IsEmpty);

        ExecEvent e = Exec("/usr/bin/bash", ["bash", "-c", "id"]);
        string? commandLine = null;
        Assert.True(set.Rules[0].MatchesProcess(e, ref commandLine));
        string joined = Assert.IsType<string>(commandLine);
        Assert.Equal("bash -c id", joined);
        Assert.True(set.Rules[2].MatchesProcess(e, ref commandLine));
        Assert.Same(joined, commandLine);
    }

    [Fact]
    public void After_a_loss_own_processes_that_still_run_stay_own()
    {
        int self = Environment.ProcessId;
        using var child = System.Diagnostics.Process.Start("sleep", "30")!;
        try
        {
            var own = new OwnProcessTracker(self);
            own.Observe(new ForkEvent { KernelTimeNs = 1, Timestamp = default, Pid = child.Id, Tid = child.Id, ParentPid = self, ParentTid = self });
            own.Observe(new ForkEvent { KernelTimeNs = 1, Timestamp = default, Pid = 999_999_1, Tid = 999_999_1, ParentPid = self, ParentTid = self });
            Assert.Equal(2, own.Count);
            own.Observe(new LostEvent { KernelTimeNs = 1, Timestamp = default, Pid = 0, Tid = 0, Reason = LossReason.QueueFull, Count = 1 });
            Assert.Equal(1, own.Count); // the real child (same start time) stays; the pid that does not run is forgotten
            Assert.True(own.IsOwn(new ExecEvent { KernelTimeNs = 1, Timestamp = default, Pid = child.Id, Tid = child.Id }));
        }
        finally
        {
            child.Kill();
        }
    }
}
