using System.Runtime.InteropServices;
using ProcWatch.Kernel;
using ProcWatch.Kernel.Accounts;
using ProcWatch.Kernel.Enforcement;
using ProcWatch.Tests.Kernel.Ebpf;
using ProcWatch.Tests.Helpers;
using Xunit;

namespace ProcWatch.Tests.Kernel.Enforcement;

/// <summary>The C# mirrors of bpf/deny.h against the C compiler's layout, and the record parser on byte fixtures.</summary>
public sealed class DenyAbiTests
{
    [Fact]
    public void Mirrors_MatchTheCLayout()
    {
        string bpfDir = Path.Combine(Programs.RepoRoot, "bpf");
        string headerHash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Path.Combine(bpfDir, "deny.h"))))[..16];
        string layout = NativeHelpers.Build("deny_layout.c", $"-I {bpfDir} -DDENY_H_SHA={headerHash}");
        Dictionary<string, long> c = NativeHelpers.Run(layout, "").Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ')).ToDictionary(f => f[0], f => long.Parse(f[1], System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(c["deny_key"], Marshal.SizeOf<deny_key>());
        Assert.Equal(c["deny_refs"], Marshal.SizeOf<deny_refs>());
        Assert.Equal(c["deny_rule"], Marshal.SizeOf<deny_rule>());
        Assert.Equal(c["deny_gen"], Marshal.SizeOf<deny_gen>());
        Assert.Equal(c["deny_record_header"], Marshal.SizeOf<deny_record_header>());
        Assert.Equal(deny_record_header.Size, Marshal.SizeOf<deny_record_header>());
        foreach ((string key, long value) in c.Where(p => p.Key.Contains('.', StringComparison.Ordinal)))
        {
            string[] parts = key.Split('.');
            Type type = parts[0] switch
            {
                "deny_key" => typeof(deny_key),
                "deny_rule" => typeof(deny_rule),
                _ => typeof(deny_record_header),
            };
            Assert.True(value == (long)Marshal.OffsetOf(type, parts[1]), key);
        }
        Assert.Equal((long)DenyLimits.RULES_MAX, c["DENY_RULES_MAX"]);
        Assert.Equal((long)DenyLimits.FILES_MAX, c["DENY_FILES_MAX"]);
        Assert.Equal((long)DenyLimits.DIRS_MAX, c["DENY_DIRS_MAX"]);
        Assert.Equal((long)DenyLimits.REFS_MAX, c["DENY_REFS_MAX"]);
        Assert.Equal((long)DenyLimits.PROTECTED_MAX, c["DENY_PROTECTED_MAX"]);
        Assert.Equal((long)deny_record_flags.DENY_RECORD_LSM, c["DENY_RECORD_LSM"]);
        Assert.Equal((long)deny_record_flags.DENY_RECORD_ARGV_UNKNOWN, c["DENY_RECORD_ARGV_UNKNOWN"]);
        Assert.Equal((long)deny_rule_flags.DENY_RULE_PARENT, c["DENY_RULE_PARENT"]);
        Assert.Equal((long)deny_gen_flags.DENY_GEN_ANY, c["DENY_GEN_ANY"]);
        Assert.Equal((long)deny_gen_flags.DENY_GEN_PARENT, c["DENY_GEN_PARENT"]);
    }

    [Fact]
    public unsafe void Parser_BuildsTheAttemptFromARecord_AndRefusesATruncatedOne()
    {
        byte[] filename = "./x"u8.ToArray();
        byte[] exe = "x\0bin\0opt\0"u8.ToArray();   // leaf first
        byte[] cwd = "work\0"u8.ToArray();
        byte[] argv = "./x\0-a\0\u001b[2J\0"u8.ToArray();
        var h = new deny_record_header
        {
            kind = deny_record_header.DENY_RECORD_KIND, tgid = 4242, pid = 4243, ktime_ns = 1_000_000, rule = 1, generation = 3,
            flags = deny_record_flags.DENY_RECORD_LSM, ppid = 17, uid = 1000, euid = 0, exe_dev = 0x800001, exe_ino = 99, exe_nlink = 1,
            exe_mode = 0x81ed, cgroup_id = 77, argc = 3,
            filename_len = (ushort)filename.Length, exe_len = (ushort)exe.Length, cwd_len = (ushort)cwd.Length, argv_len = (ushort)argv.Length,
        };
        "bash"u8.CopyTo(new Span<byte>(h.comm, 16));
        byte[] sample = [.. MemoryMarshal.AsBytes(new ReadOnlySpan<deny_record_header>(in h)), .. filename, .. exe, .. cwd, .. argv];
        DenyRule[] rules = [new() { Name = "first" }, new() { Name = "second" }];
        DenyRule? RuleOf(uint generation, uint index) => generation == 3 ? rules[index] : null;

        DeniedEvent? e = DenialRecordParser.TryParse(sample, RuleOf, EnforcementLevel.Signal, KernelClock.Shared, AccountNames.Shared);
        Assert.NotNull(e);
        Assert.Equal("second", e.RuleName);
        Assert.Equal(EnforcementLevel.Lsm, e.Level); // the record's own flag wins over the program's level
        Assert.False(e.Audit);
        Assert.Equal(4242, e.Pid);
        Assert.Equal(4243, e.Tid);
        Assert.Equal("./x", e.Filename);
        Assert.Equal("/opt/bin/x", e.Process!.Executable);
        Assert.Equal("/work", e.Process.WorkingDirectory);
        Assert.Equal(["./x", "-a", "\u001b[2J"], e.Process.Args);
        Assert.Equal(3, e.Process.ArgsCount);
        Assert.Equal(1000u, e.Process.User!.Value.Id);
        Assert.Equal(0u, e.Process.EffectiveUser!.Value.Id);
        Assert.Equal(17, e.Process.ParentPid);
        Assert.Equal(77ul, e.Process.CgroupId);
        Assert.Equal("bash", e.Process.Name);

        Assert.Null(DenialRecordParser.TryParse(sample.AsSpan(0, sample.Length - 1), RuleOf, EnforcementLevel.Signal, KernelClock.Shared, AccountNames.Shared));
        Assert.Null(DenialRecordParser.TryParse(sample.AsSpan(0, 50), RuleOf, EnforcementLevel.Signal, KernelClock.Shared, AccountNames.Shared));
        DeniedEvent? unknownGeneration = DenialRecordParser.TryParse(sample, (_, _) => null, EnforcementLevel.Signal, KernelClock.Shared, AccountNames.Shared);
        Assert.Equal("#1", unknownGeneration!.RuleName);
    }

    [Fact]
    public void Parser_NeverThrows_OnRandomBytes()
    {
        var random = new Random(21);
        for (int i = 0; i < 2000; i++)
        {
            byte[] sample = new byte[random.Next(0, 400)];
            random.NextBytes(sample);
            if (sample.Length >= 4 && i % 2 == 0)
                BitConverter.TryWriteBytes(sample, deny_record_header.DENY_RECORD_KIND);
            _ = DenialRecordParser.TryParse(sample, (_, _) => null, EnforcementLevel.Signal, KernelClock.Shared, AccountNames.Shared);
        }
    }
}
