using System.Collections.Concurrent;
using System.Threading.Channels;
using ProcWatch.Tests.Helpers;
using Xunit;
using Xunit.Abstractions;

namespace ProcWatch.Tests.Kernel.Enforcement;

/// <summary>
/// Deny rules through the library (<see cref="WatchOptions.DenyRules"/>) on the real kernel.
/// Every rule names only the test's own temp directory.
/// </summary>
[Collection(DenyCollection.Name)]
public sealed class DenyWatcherTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [KernelFact]
    public void DirectoryRule_ThousandAttempts_IncludingAHardLinkAndARename_AllFailAtExec_AndEachIsReported()
    {
        using var play = new DenyPlayground();
        string prog = play.Program(Path.Combine(play.Denied, "prog"));
        string link = Path.Combine(play.Denied, "hard-link");
        File.CreateSymbolicLink(Path.Combine(play.Root, "unused"), prog); // a symlink elsewhere changes nothing
        Assert.Equal(0, NativeHelpers.Run("ln", $"{prog} {link}").Code);
        string renamed = Path.Combine(play.Denied, "renamed");
        File.Move(play.Program(Path.Combine(play.Denied, "before-rename")), renamed);
        string allowed = play.Program(Path.Combine(play.Allowed, "prog"));

        var rule = new DenyRule { Name = "deny-test-dir", Directories = [play.Denied] };
        using var watcher = new ProcessWatcher(new WatchOptions { Kinds = ProcessEventKinds.Exit, DenyRules = [rule] });
        using var denials = new DenialCollector(watcher.Start());
        output.WriteLine($"level: {watcher.EnforcementLevel}");
        Assert.NotEqual(EnforcementLevel.None, watcher.EnforcementLevel);
        Assert.NotEqual(EnforcementLevel.PostExecKill, watcher.EnforcementLevel);

        DenyStormResult storm = DenyStormResult.Run(1000, prog, link, renamed);
        output.WriteLine(storm.Line);
        Assert.Equal(0, storm.Ran);
        Assert.Equal(0, storm.Other);
        Assert.Equal(1000, watcher.EnforcementLevel is EnforcementLevel.Lsm or EnforcementLevel.Fanotify ? storm.Eperm : storm.Killed);

        Assert.True(denials.WaitFor(e => e.RuleName == rule.Name, 1000, Patience), $"{denials.Count(e => e.RuleName == rule.Name)} of 1000 denials reported");
        DeniedEvent[] mine = denials.Where(e => e.RuleName == rule.Name);
        Assert.Equal(1000, mine.Length);
        Assert.All(mine, e =>
        {
            Assert.False(e.Audit);
            Assert.Equal(watcher.EnforcementLevel, e.Level);
            Assert.Contains(e.Process!.Executable, new[] { prog, link, renamed });
            Assert.Equal([e.Process.Executable!, "deny-storm"], e.Process.Args);
            Assert.Equal(Environment.CurrentDirectory, e.Process.WorkingDirectory);
            Assert.Equal(0u, e.Process.User!.Value.Id);
        });
        Assert.Equal(334, mine.Count(e => e.Process!.Executable == prog));
        Assert.Equal(333, mine.Count(e => e.Process!.Executable == link));

        DenyStormResult outside = DenyStormResult.Run(3, allowed);
        Assert.Equal(3, outside.Ran);
    }

    [KernelFact]
    public void ExecutableRule_FollowsTheFileIdentity_AHardLinkElsewhereIsDeniedToo()
    {
        using var play = new DenyPlayground();
        string prog = play.Program(Path.Combine(play.Denied, "prog"));
        string elsewhere = Path.Combine(play.Allowed, "same-file");
        Assert.Equal(0, NativeHelpers.Run("ln", $"{prog} {elsewhere}").Code);
        string other = play.Program(Path.Combine(play.Allowed, "other"));

        var rule = new DenyRule { Name = "deny-test-exe", Executables = [prog] };
        using var watcher = new ProcessWatcher(new WatchOptions { Kinds = ProcessEventKinds.Exit, DenyRules = [rule] });
        using var denials = new DenialCollector(watcher.Start());

        DenyStormResult storm = DenyStormResult.Run(20, elsewhere);
        output.WriteLine(storm.Line);
        Assert.Equal(0, storm.Ran);
        Assert.Equal(20, storm.Eperm + storm.Killed);
        Assert.True(denials.WaitFor(e => e.Process?.Executable == elsewhere, 20, Patience));
        Assert.Equal(2, DenyStormResult.Run(2, other).Ran);
    }

    [KernelFact]
    public void AuditMode_DeniesNothing_AndReportsEachAttemptAsWouldDeny()
    {
        using var play = new DenyPlayground();
        string prog = play.Program(Path.Combine(play.Denied, "prog"));
        var rule = new DenyRule { Name = "deny-test-audit", Directories = [play.Denied], Audit = true };
        using var watcher = new ProcessWatcher(new WatchOptions { Kinds = ProcessEventKinds.Exit, DenyRules = [rule] });
        using var denials = new DenialCollector(watcher.Start());

        DenyStormResult storm = DenyStormResult.Run(100, prog);
        output.WriteLine(storm.Line);
        Assert.Equal(100, storm.Ran);
        Assert.True(denials.WaitFor(e => e.RuleName == rule.Name, 100, Patience), $"{denials.Count(e => e.RuleName == rule.Name)} of 100 reported");
        Assert.All(denials.Where(e => e.RuleName == rule.Name), e => Assert.True(e.Audit));
    }

    [KernelFact]
    public void SignalLevel_TheDeniedProcessNeverRunsUserCode()
    {
        using var play = new DenyPlayground();
        string prog = play.Program(Path.Combine(play.Denied, "prog"));
        string marker = Path.Combine(play.Root, "marker-created-by-user-code");
        var rule = new DenyRule { Name = "deny-test-signal", Directories = [play.Denied] };
        var options = new WatchOptions { Kinds = ProcessEventKinds.Exit, DenyRules = [rule], DenyAttachModes = ["tp_btf"] };
        using var watcher = new ProcessWatcher(options);
        using var denials = new DenialCollector(watcher.Start());
        Assert.Equal(EnforcementLevel.Signal, watcher.EnforcementLevel);

        (int code, _) = NativeHelpers.Run(prog, marker);
        Assert.Equal(137, code); // 128 + SIGKILL
        Assert.True(denials.WaitFor(e => e.RuleName == rule.Name, 1, Patience));
        Assert.False(File.Exists(marker), "the denied program ran user code: it created its marker");

        // The same program outside the rule does create it: the test can fail.
        string allowed = play.Program(Path.Combine(play.Allowed, "prog"));
        Assert.Equal(0, NativeHelpers.Run(allowed, marker).Code);
        Assert.True(File.Exists(marker));
    }

    [KernelFact]
    public void AfterDispose_TheProgramRunsAgain()
    {
        using var play = new DenyPlayground();
        string prog = play.Program(Path.Combine(play.Denied, "prog"));
        var rule = new DenyRule { Name = "deny-test-dispose", Directories = [play.Denied] };
        using (var watcher = new ProcessWatcher(new WatchOptions { Kinds = ProcessEventKinds.Exit, DenyRules = [rule] }))
        {
            using var denials = new DenialCollector(watcher.Start());
            Assert.Equal(0, DenyStormResult.Run(5, prog).Ran);
        }
        Assert.Equal(5, DenyStormResult.Run(5, prog).Ran);
    }

    [KernelFact]
    public void FilelessRule_DeniesAMemfdProgram_WhichNeverRuns()
    {
        using var play = new DenyPlayground();
        string source = play.Program(Path.Combine(play.Allowed, "source"));
        // The rule names this test's own copy of the launcher as the parent: other memfd execs on the machine are not touched.
        string launcher = play.Helper("memfd_exec.c", Path.Combine(play.Allowed, "memfd-launcher"));
        string marker = Path.Combine(play.Root, "memfd-marker");

        var rule = new DenyRule { Name = "deny-test-memfd", Fileless = true, ParentExecutable = launcher };
        using var watcher = new ProcessWatcher(new WatchOptions { Kinds = ProcessEventKinds.Exit, DenyRules = [rule] });
        using var denials = new DenialCollector(watcher.Start());

        (int code, string result) = NativeHelpers.Run(launcher, $"{source} {marker}");
        output.WriteLine(result);
        Assert.Equal(0, code);
        Assert.Contains("ran=0", result, StringComparison.Ordinal);
        Assert.False(File.Exists(marker), "the memfd program ran");
        Assert.True(denials.WaitFor(e => e.RuleName == rule.Name, 1, Patience));
        DeniedEvent d = denials.Where(e => e.RuleName == rule.Name)[0];
        Assert.True(d.Process!.ExecutableMemfd || d.Process.ExecutableDeleted, "the denial says the program was no file");

        // The same memfd launched by another parent (the marker program's copy elsewhere) is not this rule's.
        Assert.Equal(0, NativeHelpers.Run(source, marker).Code);
        Assert.True(File.Exists(marker));
    }

    [KernelFact]
    public void Reload_SwapsTheRules_FromAuditToEnforce_AndBack()
    {
        using var play = new DenyPlayground();
        string prog = play.Program(Path.Combine(play.Denied, "prog"));
        var audit = new DenyRule { Name = "deny-test-reload", Directories = [play.Denied], Audit = true };
        using var watcher = new ProcessWatcher(new WatchOptions { Kinds = ProcessEventKinds.Exit, DenyRules = [audit] });
        using var denials = new DenialCollector(watcher.Start());
        Assert.Equal(10, DenyStormResult.Run(10, prog).Ran);

        watcher.Enforcer!.Reload([audit with { Audit = false }]);
        Assert.Equal(0, DenyStormResult.Run(10, prog).Ran);

        watcher.Enforcer.Reload([]);
        Assert.Equal(10, DenyStormResult.Run(10, prog).Ran);
        Assert.True(denials.WaitFor(e => e.RuleName == audit.Name, 20, Patience));
        Assert.Equal(10, denials.Count(e => e.RuleName == audit.Name && e.Audit));
        Assert.Equal(10, denials.Count(e => e.RuleName == audit.Name && !e.Audit));
    }

    [KernelFact]
    public void Sha256Rule_DeniesAFileOnceProcWatchHasHashedIt()
    {
        using var play = new DenyPlayground();
        string prog = play.Program(Path.Combine(play.Allowed, "bad"));
        File.AppendAllText(prog, Guid.NewGuid().ToString()); // unique content: a hash no other file here has
        string sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(prog)));
        var rule = new DenyRule { Name = "deny-test-hash", Sha256 = [sha] };
        using var watcher = new ProcessWatcher(new WatchOptions { Kinds = ProcessEventKinds.Exec, DenyRules = [rule] });
        using var denials = new DenialCollector(watcher.Start());

        // At the fanotify level the gate hashes the file before it answers: the first exec is
        // refused. Below it, the first exec runs (nothing has hashed it yet) and gets it hashed;
        // from then on it is denied.
        // (The gate's hashing budget is the host's: only its being spent lets that first exec run.)
        long overBudget = watcher.Enforcer!.Gate?.Judge.OverBudget ?? 0;
        DenyStormResult first = DenyStormResult.Run(1, prog);
        bool hashedBeforeAnswer = watcher.EnforcementLevel is EnforcementLevel.Fanotify && watcher.Enforcer!.Gate!.Judge.OverBudget == overBudget;
        Assert.Equal(hashedBeforeAnswer ? 0 : 1, first.Ran);
        if (hashedBeforeAnswer)
            Assert.Equal(1, first.Eperm);
        int ran = first.Ran;
        DateTime end = DateTime.UtcNow + Patience;
        while (ran > 0 && DateTime.UtcNow < end && DenyStormResult.Run(1, prog).Ran == 1)
        {
            ran++;
            Thread.Sleep(50);
        }
        output.WriteLine($"ran {ran} time(s) before the hash was known; level {watcher.EnforcementLevel}");
        DenyStormResult denied = DenyStormResult.Run(5, prog);
        output.WriteLine(denied.Line);
        if (watcher.Enforcer!.Gate is { } gate)
            output.WriteLine($"gate: {gate.Events} events, {gate.Denied} denied, {gate.IgnoreMarks} ignore marks, {gate.Errors} errors");
        Assert.Equal(0, denied.Ran);
        Assert.Equal(5, denied.Eperm + denied.Killed);
        // At the LSM level the refusal comes at execve. At the fanotify level it does too in
        // almost every run, but once in a few loaded full runs the backstop stopped all 5
        // (docs/notes/NOTES-issue21-fanotify.md, not understood yet): not asserted.
        if (watcher.EnforcementLevel is EnforcementLevel.Lsm)
            Assert.Equal(5, denied.Eperm);
        Assert.True(denials.WaitFor(e => e.RuleName == rule.Name, 5, Patience));
    }

    [KernelFact]
    public void WithoutAKernelHook_TheProgramIsKilledAfterItsExec_AndTheWarningSaysPreventionIsUnavailable()
    {
        using var play = new DenyPlayground();
        string sleeper = Path.Combine(play.Denied, "sleeper");
        File.Copy("/bin/sleep", sleeper);
        var rule = new DenyRule { Name = "deny-test-postexec", Directories = [play.Denied] };
        var options = new WatchOptions { Kinds = ProcessEventKinds.Exit, DenyRules = [rule], DenyAttachModes = [] };
        using var watcher = new ProcessWatcher(options);
        string? warning = null;
        watcher.Warning += (_, e) => warning = e.GetException().Message;
        using var denials = new DenialCollector(watcher.Start());
        Assert.Equal(EnforcementLevel.PostExecKill, watcher.EnforcementLevel);
        Assert.Contains("prevention is not available here", warning, StringComparison.Ordinal);

        using var process = System.Diagnostics.Process.Start(sleeper, "60")!;
        Assert.True(process.WaitForExit(Patience), "the denied program was not killed");
        Assert.Equal(137, process.ExitCode);
        Assert.True(denials.WaitFor(e => e.RuleName == rule.Name, 1, Patience));
        Assert.Equal(EnforcementLevel.PostExecKill, denials.Where(e => e.RuleName == rule.Name)[0].Level);
    }

    [Fact]
    public void ARuleThatWouldDenyAShellOrTheLoader_IsRefusedAtStart_UnlessAllowCritical()
    {
        string shell = File.Exists("/bin/sh") ? "/bin/sh" : "/bin/bash";
        var byFile = new DenyRule { Name = "no-shell", Executables = [shell] };
        using var watcher = new ProcessWatcher(new WatchOptions { DenyRules = [byFile] });
        var e = Assert.Throws<ArgumentException>(() => watcher.Start());
        Assert.Contains("deny rule 'no-shell'", e.Message, StringComparison.Ordinal);
        Assert.Contains("allow_critical", e.Message, StringComparison.Ordinal);

        string dir = Path.GetDirectoryName(global::ProcWatch.Interop.Libc.RealPath(shell)!)!;
        var byDirectory = new DenyRule { Name = "no-bin", Directories = [dir] };
        using var second = new ProcessWatcher(new WatchOptions { DenyRules = [byDirectory] });
        Assert.Contains("would deny", Assert.Throws<ArgumentException>(() => second.Start()).Message, StringComparison.Ordinal);

        var everything = new DenyRule { Name = "no-user", User = "65534" };
        using var third = new ProcessWatcher(new WatchOptions { DenyRules = [everything] });
        Assert.Contains("names no executable", Assert.Throws<ArgumentException>(() => third.Start()).Message, StringComparison.Ordinal);

        // allow_critical lifts the check (compiled only: this test must never load such a rule).
        global::ProcWatch.Kernel.Enforcement.KernelPolicy policy = global::ProcWatch.Kernel.Enforcement.DenyPolicyCompiler.Compile([byFile with { AllowCritical = true }]);
        Assert.Single(policy.Files);
    }

    /// <summary>Reads the whole stream on its own task, keeping the denials.</summary>
    internal sealed class DenialCollector : IDisposable
    {
        private readonly ConcurrentQueue<DeniedEvent> _denials = new();
        private readonly Task _reader;

        public DenialCollector(ChannelReader<ProcessEvent> reader) => _reader = Task.Run(async () =>
        {
            await foreach (ProcessEvent e in reader.ReadAllAsync())
            {
                if (e is DeniedEvent d)
                    _denials.Enqueue(d);
            }
        });

        public int Count(Func<DeniedEvent, bool> predicate) => _denials.Count(predicate);

        public DeniedEvent[] Where(Func<DeniedEvent, bool> predicate) => _denials.Where(predicate).ToArray();

        public bool WaitFor(Func<DeniedEvent, bool> predicate, int count, TimeSpan timeout)
        {
            DateTime end = DateTime.UtcNow + timeout;
            while (DateTime.UtcNow < end)
            {
                if (Count(predicate) >= count)
                    return true;
                Thread.Sleep(20);
            }
            return Count(predicate) >= count;
        }

        public void Dispose() => _ = _reader; // the watcher's disposal completes the stream
    }
}
