using ProcWatch.Core;
using Xunit;

namespace ProcWatch.Tests.Core;

/// <summary>Each failure, as data, has one line; every step has its own words.</summary>
public sealed class FailureTextTests
{
    private const int EPERM = 1, ENOENT = 2, EINVAL = 22, EPROTONOSUPPORT = 93, EACCES = 13;

    private static readonly (Failure Failure, string Line)[] s_lines =
    [
        (new(FailureKind.PlatformNotSupported, 0, FailureStep.NotLinux, "/proc"), "procwatch needs Linux (/proc)"),
        (new(FailureKind.KernelUnsupported, 0, FailureStep.DisabledByEnvironment, "PROCWATCH_NO_EBPF"), "disabled by PROCWATCH_NO_EBPF"),
        (new(FailureKind.KernelUnsupported, ENOENT, FailureStep.FindLibbpf, "libbpf.so.1"), "libbpf.so.1 not found (install libbpf1)"),
        (new(FailureKind.KernelUnsupported, ENOENT, FailureStep.FindKernelBtf, "/sys/kernel/btf/vmlinux"), "kernel has no BTF (/sys/kernel/btf/vmlinux missing; needs CONFIG_DEBUG_INFO_BTF)"),
        (new(FailureKind.NoPrivilege, EPERM, FailureStep.BpfCapabilities), "needs CAP_BPF and CAP_PERFMON (or root)"),
        (new(FailureKind.KernelUnsupported, EPERM, FailureStep.KernelLockdown, "the tp_btf program"), "kernel lockdown (confidentiality) forbids eBPF tracing"),
        (new(FailureKind.KernelUnsupported, 0, FailureStep.FindEmbeddedObject, "the eBPF object"), "the eBPF object is not built into this procwatch (build it with clang and libbpf-dev installed)"),
        (new(FailureKind.KernelUnsupported, 0, FailureStep.AttachModeNotAllowed, "PROCWATCH_EBPF_ATTACH"), "not allowed by PROCWATCH_EBPF_ATTACH"),
        (new(FailureKind.KernelUnsupported, EINVAL, FailureStep.OpenObject, "the deny eBPF object"), "opening the deny eBPF object failed: invalid argument"),
        (new(FailureKind.KernelUnsupported, EINVAL, FailureStep.CountPossibleCpus), "counting possible CPUs failed: invalid argument"),
        (new(FailureKind.KernelUnsupported, 0, FailureStep.FindInObject, "deny_lsm"), "the embedded eBPF object lacks deny_lsm (stale build?)"),
        (new(FailureKind.KernelUnsupported, EINVAL, FailureStep.SizeMaps, "the eBPF maps"), "sizing the eBPF maps failed: invalid argument"),
        (new(FailureKind.KernelUnsupported, EINVAL, FailureStep.LoadProgram, "the tp_btf program") { Detail = "prog 'handle_exec_btf': relocation failed" },
            "loading the tp_btf program failed: invalid argument; libbpf: prog 'handle_exec_btf': relocation failed"),
        // EPERM with the capabilities held: the kernel refuses the program type (lsm, fentry here), not a privilege.
        (new(FailureKind.KernelUnsupported, EPERM, FailureStep.LoadProgram, "lsm program deny_lsm"), "loading lsm program deny_lsm failed: operation not permitted (the kernel refuses this program type here)"),
        // EPERM from the exec capture's load: a privilege, worded as the fix.
        (new(FailureKind.NoPrivilege, EPERM, FailureStep.LoadProgram, "the tp_btf program"), "needs CAP_BPF and CAP_PERFMON (or root)"),
        (new(FailureKind.KernelUnsupported, EINVAL, FailureStep.ConfigureProgram), "configuring the eBPF program failed: invalid argument"),
        (new(FailureKind.KernelUnsupported, ENOENT, FailureStep.AttachProgram, "raw_tp/sched_process_exec"), "attaching raw_tp/sched_process_exec failed: no such file or directory"),
        (new(FailureKind.KernelUnsupported, ENOENT, FailureStep.AttachTracepointWithoutTracefs, "sched/sched_process_exec"),
            "attaching to tracepoint sched/sched_process_exec (tracefs is not mounted) failed: no such file or directory"),
        (new(FailureKind.SystemError, EINVAL, FailureStep.MapRingBuffer), "mapping the eBPF ring buffer failed: invalid argument"),
        (new(FailureKind.KernelUnsupported, EPROTONOSUPPORT, FailureStep.CreateConnectorSocket),
            "this kernel has no netlink proc connector (needs CONFIG_CONNECTOR and CONFIG_PROC_EVENTS); try --backend procfs"),
        (new(FailureKind.SystemError, EINVAL, FailureStep.CreateConnectorSocket), "cannot create netlink socket: invalid argument"),
        (new(FailureKind.NoPrivilege, EPERM, FailureStep.BindConnector), "no permission to listen to process events: the kernel requires CAP_NET_ADMIN (run as root)"),
        (new(FailureKind.NoPrivilege, EACCES, FailureStep.SubscribeConnector, "user and pid"),
            "the kernel refuses proc connector subscriptions from a non-initial user and pid namespace (container): it serves only the host's namespaces with CAP_NET_ADMIN"),
        (new(FailureKind.SystemError, EINVAL, FailureStep.BindConnector), "cannot bind to the proc connector: invalid argument"),
        (new(FailureKind.SystemError, EINVAL, FailureStep.SubscribeConnector), "cannot subscribe to the proc connector: invalid argument"),
        (new(FailureKind.SystemError, 0, FailureStep.StartProbeProcess), "could not start a test process to check the proc connector"),
        (new(FailureKind.KernelUnsupported, 0, FailureStep.ProbeSawHostPids, "pid"), "the proc connector reports host pids, not this pid namespace's (container)"),
        (new(FailureKind.KernelUnsupported, 0, FailureStep.ProbeIgnoredInNamespace, "user"), "the kernel ignores proc connector subscriptions from a non-initial user namespace (container)"),
        (new(FailureKind.KernelUnsupported, 0, FailureStep.ProbeSawNothing, "1000"), "the proc connector reported no event for a test process within 1000 ms (kernel without CONFIG_PROC_EVENTS?)"),
        (new(FailureKind.SystemError, ENOENT, FailureStep.OpenDirectory, "/proc"), "cannot open /proc: no such file or directory"),
        (new(FailureKind.SystemError, EINVAL, FailureStep.CreateEventFd), "eventfd failed: invalid argument"),
        (new(FailureKind.NoPrivilege, EPERM, FailureStep.RealtimeScheduling), "--realtime needs root or CAP_SYS_NICE"),
        (new(FailureKind.SystemError, EINVAL, FailureStep.RealtimeScheduling), "cannot switch to real-time scheduling: invalid argument"),
    ];

    public static TheoryData<int> Lines()
    {
        var rows = new TheoryData<int>();
        for (int i = 0; i < s_lines.Length; i++)
            rows.Add(i);
        return rows;
    }

    [Theory]
    [MemberData(nameof(Lines))]
    public void EachFailure_HasItsLine(int row) => Assert.Equal(s_lines[row].Line, FailureText.OneLine(s_lines[row].Failure));

    /// <summary>A step added without words falls back to its enum name: this fails until the formatter words it.</summary>
    [Fact]
    public void EveryStep_IsWorded()
    {
        foreach (FailureStep step in Enum.GetValues<FailureStep>())
        {
            string line = FailureText.OneLine(new Failure(FailureKind.SystemError, EINVAL, step, "subject"));
            Assert.DoesNotContain(step.ToString(), line, StringComparison.Ordinal);
            Assert.NotEqual("", line);
        }
    }

    [Fact]
    public void TheLadder_IsEachAttemptInOrder()
    {
        var ladder = new Failure(FailureKind.KernelUnsupported, 0, FailureStep.EveryAttachType)
        {
            Attempts =
            [
                new("tp_btf", new Failure(FailureKind.KernelUnsupported, 0, FailureStep.AttachModeNotAllowed, "PROCWATCH_EBPF_ATTACH")),
                new("tracepoint", new Failure(FailureKind.KernelUnsupported, ENOENT, FailureStep.AttachTracepointWithoutTracefs, "sched/sched_process_exec")),
            ],
        };
        Assert.Equal("tp_btf: not allowed by PROCWATCH_EBPF_ATTACH; tracepoint: attaching to tracepoint sched/sched_process_exec (tracefs is not mounted) failed: no such file or directory",
            FailureText.OneLine(ladder));
    }

    [Fact]
    public void ASubjectWithControlCharacters_StaysOneLine()
    {
        var failure = new Failure(FailureKind.SystemError, ENOENT, FailureStep.OpenDirectory, "/tmp/a\nb\u001b[31m");
        Assert.Equal("cannot open /tmp/a b [31m: no such file or directory", FailureText.OneLine(failure));
    }

    [Theory]
    [InlineData("one\ntwo", "one two")]
    [InlineData("one\r\ntwo", "one two")]
    [InlineData("  tab\there  ", "tab here")]
    [InlineData("esc\u001b[0m", "esc [0m")]
    [InlineData("", "")]
    public void Text_BecomesOneLine(string text, string line) => Assert.Equal(line, FailureText.OneLine(text));

    [Fact]
    public void Text_IsCutAtTheLimit() => Assert.Equal("abc", FailureText.OneLine("abc def", 4));

    [Fact]
    public void Errno_StartsLowerCase_AndNamesUnknownCodes()
    {
        Assert.Equal("no such file or directory", FailureText.Errno(ENOENT));
        Assert.Equal("operation not permitted", FailureText.Errno(EPERM));
        Assert.NotEqual("", FailureText.Errno(4242));
    }

    [Fact]
    public void TheException_CarriesTheFailureAndItsKind()
    {
        var failure = new Failure(FailureKind.NoPrivilege, EPERM, FailureStep.BindConnector);
        var ex = new ProcWatchException(failure, "context: ");
        Assert.Equal(FailureKind.NoPrivilege, ex.Kind);
        Assert.Equal(failure, ex.Failure);
        Assert.Equal("context: no permission to listen to process events: the kernel requires CAP_NET_ADMIN (run as root)", ex.Message);
    }
}
