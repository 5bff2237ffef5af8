using ProcWatch.Kernel.Enforcement;
using ProcWatch.Tests.Daemon;
using ProcWatch.Tests.Helpers;
using Xunit;
using Xunit.Abstractions;
using DenialCollector = ProcWatch.Tests.Kernel.Enforcement.DenyWatcherTests.DenialCollector;

namespace ProcWatch.Tests.Kernel.Enforcement;

/// <summary>
/// Deny rules at the fanotify level (FAN_OPEN_EXEC_PERM answered FAN_DENY: execve fails with
/// EPERM), forced whatever the host's best level is: "fanotify" with the tp_btf backstop below
/// it (what a host without BPF LSM runs), and "fanotify" alone. Every rule names only the
/// test's own temp directory or files.
/// </summary>
[Collection(DenyCollection.Name)]
public sealed class DenyFanotifyTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private static readonly string[] WithBackstop = ["fanotify", "tp_btf"];
    private static readonly string[] Alone = ["fanotify"];

    private static ProcessWatcher Watcher(DenyRule rule, IReadOnlyList<string> modes) =>
        new(new WatchOptions { Kinds = ProcessEventKinds.Exit, DenyRules = [rule], DenyAttachModes = modes });

    [KernelFact]
    public void ThousandAttempts_IncludingAHardLinkAndARename_AllFailWithEpermAtExecve_AndEachIsReportedOnce()
    {
        using var play = new DenyPlayground();
        string prog = play.Program(Path.Combine(play.Denied, "prog"));
        string link = Path.Combine(play.Denied, "hard-link");
        Assert.Equal(0, NativeHelpers.Run("ln", $"{prog} {link}").Code);
        string renamed = Path.Combine(play.Denied, "renamed");
        File.Move(play.Program(Path.Combine(play.Denied, "before-rename")), renamed);
        string allowed = play.Program(Path.Combine(play.Allowed, "prog"));

        var rule = new DenyRule { Name = "fan-test-dir", Directories = [play.Denied] };
        using var watcher = Watcher(rule, WithBackstop);
        using var denials = new DenialCollector(watcher.Start());
        Assert.Equal(EnforcementLevel.Fanotify, watcher.EnforcementLevel);
        Assert.Equal("fanotify+tp_btf", watcher.Enforcer!.AttachMode);

        DenyStormResult storm = DenyStormResult.Run(1000, prog, link, renamed);
        output.WriteLine(storm.Line);
        Assert.Equal(0, storm.Ran);
        Assert.Equal(1000, storm.Eperm);

        Assert.True(denials.WaitFor(e => e.RuleName == rule.Name, 1000, Patience), $"{denials.Count(e => e.RuleName == rule.Name)} of 1000 denials reported");
        DeniedEvent[] mine = denials.Where(e => e.RuleName == rule.Name);
        Assert.Equal(1000, mine.Length);
        Assert.All(mine, e =>
        {
            Assert.False(e.Audit);
            Assert.Equal(EnforcementLevel.Fanotify, e.Level);
            Assert.Contains(e.Process!.Executable, new[] { prog, link, renamed });
            Assert.Equal(e.Process.Executable, e.Filename); // the path given to execve, read from the caller
            Assert.Equal([e.Process.Executable!, "deny-storm"], e.Process.Args);
            Assert.Equal(2, e.Process.ArgsCount);
            Assert.Equal(Environment.CurrentDirectory, e.Process.WorkingDirectory);
            Assert.Equal(0u, e.Process.User!.Value.Id);
            Assert.StartsWith("deny_storm", e.Process.Name, StringComparison.Ordinal); // the caller, whose execve failed
        });
        Assert.Equal(334, mine.Count(e => e.Process!.Executable == prog));
        Assert.Equal(333, mine.Count(e => e.Process!.Executable == link));
        Assert.Equal(1000, watcher.Enforcer.Gate!.Denied);
        Assert.Equal(0UL, watcher.Enforcer.KernelDenied); // nothing reached the backstop: one attempt, one event

        Assert.Equal(3, DenyStormResult.Run(3, allowed).Ran);
    }

    /// <summary>
    /// The attack a <c>sha256</c> rule exists for: a fresh copy of a denied program (a new
    /// inode nobody has hashed) is refused at its first exec, because the gate hashes it before
    /// it answers; a copy with one byte changed runs, and a file over the bound is not read.
    /// </summary>
    [KernelFact]
    public void AFreshCopyOfAProgramDeniedByHash_IsRefusedAtItsFirstExec()
    {
        using var play = new DenyPlayground();
        string original = play.Program(Path.Combine(play.Allowed, "original"));
        File.AppendAllText(original, Guid.NewGuid().ToString()); // a digest no other file here has
        byte[] content = File.ReadAllBytes(original);
        string sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(content));
        var rule = new DenyRule { Name = "fan-test-hash-copy", Sha256 = [sha] };
        using var watcher = Watcher(rule, WithBackstop);
        using var denials = new DenialCollector(watcher.Start());
        Assert.Equal(EnforcementLevel.Fanotify, watcher.EnforcementLevel);

        string copy = play.Program(Path.Combine(play.Allowed, "fresh-copy"));
        File.WriteAllBytes(copy, content);
        PermissionJudge judge = watcher.Enforcer!.Gate!.Judge;
        long overBudget = judge.OverBudget;
        DenyStormResult first = DenyStormResult.Run(1, copy);
        output.WriteLine($"{first.Line}; gate hashed {judge.HashedBeforeAnswer}, over budget {judge.OverBudget}");
        Assert.True(judge.HashedBeforeAnswer >= 1);
        // The gate's hashing budget is the host's (every new file version any exec runs): only
        // its being spent at that moment lets the first exec go on, as at the levels below.
        if (judge.OverBudget == overBudget)
        {
            Assert.Equal(0, first.Ran);
            Assert.Equal(1, first.Eperm);
            Assert.True(denials.WaitFor(e => e.RuleName == rule.Name && e.Process!.Executable == copy, 1, Patience));
        }

        string changed = play.Program(Path.Combine(play.Allowed, "changed-copy"));
        File.WriteAllBytes(changed, [.. content, 0]);
        Assert.Equal(3, DenyStormResult.Run(3, changed).Ran);
    }

    /// <summary>
    /// The answer deadline: the gate thread held in one question (as a read that blocks would
    /// hold it) does not hold the host's execs. The held question is allowed at the deadline,
    /// the questions behind it as they come; the backstop judges them, so a denied program
    /// is still stopped (killed before its first instruction) and reported once.
    /// </summary>
    [KernelFact]
    public void AGateThreadHeldInOneQuestion_DoesNotHoldTheHostsExecs_TheBackstopJudgesThemMeanwhile()
    {
        using var play = new DenyPlayground();
        string stall = play.Program(Path.Combine(play.Allowed, "stall"));
        string allowed = play.Program(Path.Combine(play.Allowed, "other"));
        string denied = play.Program(Path.Combine(play.Denied, "denied"));
        var rule = new DenyRule { Name = "fan-test-deadline", Directories = [play.Denied] };
        using var watcher = Watcher(rule, WithBackstop);
        using var denials = new DenialCollector(watcher.Start());
        Assert.Equal(EnforcementLevel.Fanotify, watcher.EnforcementLevel);
        ExecPermissionGate gate = watcher.Enforcer!.Gate!;
        using var release = new ManualResetEventSlim(false);
        int held = 0, timedOut = 0;
        gate.BeforeJudge = fd =>
        {
            if (new FileInfo($"/proc/self/fd/{fd}").LinkTarget != stall || Interlocked.Exchange(ref held, 1) != 0)
                return;
            if (!release.Wait(TimeSpan.FromSeconds(120)))
                Volatile.Write(ref timedOut, 1);
        };
        try
        {
            DenyStormResult stalled = DenyStormResult.Run(1, stall); // allowed at the deadline
            Assert.Equal(1, Volatile.Read(ref held));
            DenyStormResult others = DenyStormResult.Run(3, allowed);
            DenyStormResult stopped = DenyStormResult.Run(3, denied);
            bool stillHeld = !release.IsSet && Volatile.Read(ref timedOut) == 0;
            release.Set();
            output.WriteLine($"{stalled.Line} / {others.Line} / {stopped.Line}; deadline allowed {gate.DeadlineAllowed}, late verdicts {gate.LateVerdicts}");
            Assert.True(stillHeld, "the execs completed only when the gate thread was let go");
            Assert.Equal(1, stalled.Ran);
            Assert.Equal(3, others.Ran);
            Assert.Equal(0, stopped.Ran);
            Assert.Equal(3, stopped.Killed);
            Assert.True(gate.DeadlineAllowed >= 1 + 3 + 3, $"deadline allowed {gate.DeadlineAllowed}");
            Assert.True(denials.WaitFor(e => e.RuleName == rule.Name, 3, Patience));
            Assert.True(SpinWait.SpinUntil(() => gate.LateVerdicts >= 1, Patience), $"late verdicts {gate.LateVerdicts}");
            Assert.Equal(3, DenyStormResult.Run(3, allowed).Ran); // judged by the gate again
        }
        finally
        {
            release.Set();
        }
    }

    /// <summary>
    /// A denied program whose question outlives the deadline before it is judged: the watchdog
    /// has allowed it, so the gate's DENY that comes after is not what the exec got. The
    /// backstop kills it before its first instruction, and it is reported once, by the backstop.
    /// </summary>
    [KernelFact]
    public void ADenialDecidedAfterTheDeadline_IsLeftToTheBackstop_AndReportedOnce()
    {
        using var play = new DenyPlayground();
        string denied = play.Program(Path.Combine(play.Denied, "late"));
        var rule = new DenyRule { Name = "fan-test-late", Directories = [play.Denied] };
        using var watcher = Watcher(rule, WithBackstop);
        using var denials = new DenialCollector(watcher.Start());
        Assert.Equal(EnforcementLevel.Fanotify, watcher.EnforcementLevel);
        ExecPermissionGate gate = watcher.Enforcer!.Gate!;
        int held = 0;
        gate.BeforeJudge = fd =>
        {
            if (new FileInfo($"/proc/self/fd/{fd}").LinkTarget == denied && Interlocked.Exchange(ref held, 1) == 0)
                SpinWait.SpinUntil(() => gate.DeadlineAllowed >= 1, TimeSpan.FromSeconds(60)); // judged only once the watchdog answered
        };
        DenyStormResult run = DenyStormResult.Run(1, denied);
        output.WriteLine($"{run.Line}; deadline allowed {gate.DeadlineAllowed}, late {gate.LateVerdicts}, gate denied {gate.Denied}");
        Assert.Equal(0, run.Ran);
        Assert.Equal(1, run.Killed);
        Assert.True(SpinWait.SpinUntil(() => gate.LateVerdicts >= 1, Patience));
        Assert.Equal(0, gate.Denied); // the gate's late DENY is not what the exec got
        Assert.True(denials.WaitFor(e => e.RuleName == rule.Name, 1, Patience));
        Thread.Sleep(500); // a second report would come from the gate thread, already done (LateVerdicts): a margin only
        Assert.Equal(1, denials.Count(e => e.RuleName == rule.Name));
        Assert.Equal(EnforcementLevel.Signal, denials.Where(e => e.RuleName == rule.Name)[0].Level);
    }

    [KernelFact]
    public void AScriptNamedByARule_IsDeniedAsItself_WhileOtherScriptsOfTheSameInterpreterRun()
    {
        using var play = new DenyPlayground();
        string script = Path.Combine(play.Allowed, "denied-script");
        string other = Path.Combine(play.Allowed, "other-script");
        foreach (string path in new[] { script, other })
        {
            File.WriteAllText(path, "#!/bin/sh\nexit 0\n");
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        var rule = new DenyRule { Name = "fan-test-script", Executables = [script] };
        using var watcher = Watcher(rule, WithBackstop);
        using var denials = new DenialCollector(watcher.Start());

        DenyStormResult denied = DenyStormResult.Run(20, script);
        output.WriteLine(denied.Line);
        Assert.Equal(20, denied.Eperm);
        Assert.Equal(20, DenyStormResult.Run(20, other).Ran);
        Assert.Equal(0, NativeHelpers.Run("/bin/sh", "-c true").Code);

        Assert.True(denials.WaitFor(e => e.RuleName == rule.Name, 20, Patience));
        DeniedEvent[] mine = denials.Where(e => e.RuleName == rule.Name);
        Assert.Equal(20, mine.Length);
        Assert.All(mine, e =>
        {
            Assert.Equal(script, e.Process!.Executable); // the script, not /bin/sh
            Assert.Equal([script, "deny-storm"], e.Process.Args);
        });
    }

    [KernelFact]
    public void AuditMode_DeniesNothing_AndReportsEachAttemptOnce_TheBackstopsRecordOfItIsNotASecondEvent()
    {
        using var play = new DenyPlayground();
        string prog = play.Program(Path.Combine(play.Denied, "prog"));
        var rule = new DenyRule { Name = "fan-test-audit", Directories = [play.Denied], Audit = true };
        using var watcher = Watcher(rule, WithBackstop);
        using var denials = new DenialCollector(watcher.Start());

        DenyStormResult storm = DenyStormResult.Run(100, prog);
        output.WriteLine(storm.Line);
        Assert.Equal(100, storm.Ran);
        Assert.True(denials.WaitFor(e => e.RuleName == rule.Name, 100, Patience), $"{denials.Count(e => e.RuleName == rule.Name)} of 100 reported");
        // The backstop audits the same 100 execs after they happen; wait until its records were read and recognised.
        Assert.True(Poll.Until(() => watcher.Enforcer!.BackstopRepeats >= 100, Patience), $"{watcher.Enforcer!.BackstopRepeats} backstop records recognised");
        DeniedEvent[] mine = denials.Where(e => e.RuleName == rule.Name);
        Assert.Equal(100, mine.Length);
        Assert.All(mine, e =>
        {
            Assert.True(e.Audit);
            Assert.Equal(EnforcementLevel.Fanotify, e.Level);
        });
    }

    [KernelFact]
    public void AFileTheGateStoppedAskingAbout_HardLinkedIntoADeniedDirectory_IsStillStoppedByTheBackstop()
    {
        using var play = new DenyPlayground();
        string allowed = play.Program(Path.Combine(play.Allowed, "prog"));
        string marker = Path.Combine(play.Root, "marker");
        var rule = new DenyRule { Name = "fan-test-ignored-link", Directories = [play.Denied] };
        using var watcher = Watcher(rule, WithBackstop);
        using var denials = new DenialCollector(watcher.Start());

        // Allowed: no rule's file condition matches it, so its inode gets an ignore mark.
        Assert.Equal(2, DenyStormResult.Run(2, allowed).Ran);
        string link = Path.Combine(play.Denied, "link");
        Assert.Equal(0, NativeHelpers.Run("ln", $"{allowed} {link}").Code);

        (int code, _) = NativeHelpers.Run(link, marker);
        Assert.Equal(137, code); // not asked about (the mark is on the inode): the backstop's SIGKILL
        Assert.False(File.Exists(marker), "the hard link ran user code");
        Assert.True(denials.WaitFor(e => e.RuleName == rule.Name, 1, Patience));
        DeniedEvent d = Assert.Single(denials.Where(e => e.RuleName == rule.Name));
        Assert.Equal(EnforcementLevel.Signal, d.Level);
        Assert.Equal(link, d.Process!.Executable);
    }

    [KernelFact]
    public void Alone_WithoutTheBackstop_ItPutsNoIgnoreMarkADirectoryRuleCouldBeEvadedThrough()
    {
        using var play = new DenyPlayground();
        string allowed = play.Program(Path.Combine(play.Allowed, "prog"));
        var rule = new DenyRule { Name = "fan-test-alone", Directories = [play.Denied] };
        using var watcher = Watcher(rule, Alone);
        using var denials = new DenialCollector(watcher.Start());
        Assert.Equal(EnforcementLevel.Fanotify, watcher.EnforcementLevel);
        Assert.Equal("fanotify", watcher.Enforcer!.AttachMode);

        Assert.Equal(2, DenyStormResult.Run(2, allowed).Ran);
        string link = Path.Combine(play.Denied, "link");
        Assert.Equal(0, NativeHelpers.Run("ln", $"{allowed} {link}").Code);
        DenyStormResult storm = DenyStormResult.Run(5, link);
        output.WriteLine(storm.Line);
        Assert.Equal(5, storm.Eperm);
        Assert.True(denials.WaitFor(e => e.RuleName == rule.Name, 5, Patience));
        Assert.Equal(0L, watcher.Enforcer.Gate!.IgnoreMarks);
    }

    [KernelFact]
    public void AMemfdProgram_WhichFanotifyDoesNotSee_IsStoppedByTheBackstop()
    {
        using var play = new DenyPlayground();
        string source = play.Program(Path.Combine(play.Allowed, "source"));
        string launcher = play.Helper("memfd_exec.c", Path.Combine(play.Allowed, "memfd-launcher"));
        string marker = Path.Combine(play.Root, "memfd-marker");
        var rule = new DenyRule { Name = "fan-test-memfd", Fileless = true, ParentExecutable = launcher };
        using var watcher = Watcher(rule, WithBackstop);
        using var denials = new DenialCollector(watcher.Start());

        (int code, string result) = NativeHelpers.Run(launcher, $"{source} {marker}");
        output.WriteLine(result);
        Assert.Equal(0, code);
        Assert.Contains("ran=0", result, StringComparison.Ordinal);
        Assert.False(File.Exists(marker), "the memfd program ran");
        Assert.True(denials.WaitFor(e => e.RuleName == rule.Name, 1, Patience));
        DeniedEvent d = Assert.Single(denials.Where(e => e.RuleName == rule.Name));
        output.WriteLine($"level {d.Level}, result {result}");
        // memfds live on the kernel's internal shm mount, which no filesystem mark covers.
        Assert.Equal(EnforcementLevel.Signal, d.Level);
        Assert.Contains("killed=1", result, StringComparison.Ordinal);
    }

    [KernelFact]
    public void Reload_FlushesIgnoreMarks_AFileAllowedBeforeIsDeniedWithEpermAfter()
    {
        using var play = new DenyPlayground();
        string prog = play.Program(Path.Combine(play.Allowed, "prog"));
        var none = new DenyRule { Name = "fan-test-reload", Executables = [play.Program(Path.Combine(play.Denied, "unused"))] };
        using var watcher = Watcher(none, WithBackstop);
        using var denials = new DenialCollector(watcher.Start());
        Assert.Equal(3, DenyStormResult.Run(3, prog).Ran); // judged allowed: ignore-marked

        watcher.Enforcer!.Reload([none with { Executables = [prog] }]);
        DenyStormResult storm = DenyStormResult.Run(3, prog);
        output.WriteLine(storm.Line);
        Assert.Equal(3, storm.Eperm); // asked again: the reload flushed the mark
    }

    [KernelFact]
    public void AfterDispose_EveryExecIsAllowedAgain()
    {
        using var play = new DenyPlayground();
        string prog = play.Program(Path.Combine(play.Denied, "prog"));
        var rule = new DenyRule { Name = "fan-test-dispose", Directories = [play.Denied] };
        using (var watcher = Watcher(rule, Alone))
        {
            using var denials = new DenialCollector(watcher.Start());
            Assert.Equal(5, DenyStormResult.Run(5, prog).Eperm);
        }
        Assert.Equal(5, DenyStormResult.Run(5, prog).Ran);
    }
}
