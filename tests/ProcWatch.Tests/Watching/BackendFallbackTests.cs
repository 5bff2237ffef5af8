using ProcWatch.Core;
using ProcWatch.Kernel.Connector;
using ProcWatch.Watching;
using Xunit;

namespace ProcWatch.Tests.Watching;

/// <summary>
/// The selector's fallbacks take their kind from the failure (its kind, which its errno set
/// where it happened), never from its words: the same wording with another kind is another
/// decision (exit code 3 and "run as root", or a kernel that lacks the mechanism).
/// </summary>
public sealed class BackendFallbackTests
{
    private const int EPERM = 1, ENOENT = 2;

    [Fact]
    public void ConnectorRefusedForPrivilege_FallsBackToProcfs_AsNoPrivilege()
    {
        using var procfs = new ConnectorEventSource(ProcessEventKinds.Exec, 4096); // any source: never started
        BackendSelection selection = BackendFallback.ToProcfs(procfs, new Failure(FailureKind.NoPrivilege, EPERM, FailureStep.BindConnector, "user and pid"));
        Assert.Same(procfs, Assert.Single(selection.Sources));
        Assert.Equal(FailureKind.NoPrivilege, selection.WarningKind);
        Assert.Equal("falling back to the procfs backend (may miss processes shorter than a scan, no exit codes): the kernel refuses proc connector subscriptions "
            + "from a non-initial user and pid namespace (container): it serves only the host's namespaces with CAP_NET_ADMIN; run procwatch doctor", selection.Warning);
    }

    [Fact]
    public void ConnectorThatReportsNothing_FallsBackToProcfs_AsKernelUnsupported()
    {
        using var procfs = new ConnectorEventSource(ProcessEventKinds.Exec, 4096);
        BackendSelection selection = BackendFallback.ToProcfs(procfs, new Failure(FailureKind.KernelUnsupported, 0, FailureStep.ProbeSawNothing, "1000"));
        Assert.Equal(FailureKind.KernelUnsupported, selection.WarningKind);
    }

    [Theory]
    [InlineData(FailureKind.NoPrivilege, EPERM, "needs CAP_BPF and CAP_PERFMON (or root)")]
    [InlineData(FailureKind.KernelUnsupported, ENOENT, "loading the tp_btf program failed: no such file or directory")]
    public void EbpfThatDoesNotLoad_KeepsTheConnector_WithTheFailuresKind(FailureKind kind, int errno, string why)
    {
        using var connector = new ConnectorEventSource(ProcessEventKinds.Exec, 4096);
        BackendSelection selection = BackendFallback.WithoutEbpf(connector, new Failure(kind, errno, FailureStep.LoadProgram, "the tp_btf program"));
        Assert.Same(connector, Assert.Single(selection.Sources));
        Assert.Equal(kind, selection.WarningKind);
        Assert.Equal($"eBPF exec capture unavailable ({why}); argv is read from /proc and can be missed for short-lived processes; run procwatch doctor", selection.Warning);
    }

    [Fact]
    public void ForcedEbpf_FailsWithTheFailuresKind()
    {
        ProcWatchException ex = BackendFallback.ForcedEbpf(new Failure(FailureKind.KernelUnsupported, 0, FailureStep.DisabledByEnvironment, "PROCWATCH_NO_EBPF"));
        Assert.Equal(FailureKind.KernelUnsupported, ex.Kind);
        Assert.Equal("eBPF exec capture unavailable: disabled by PROCWATCH_NO_EBPF", ex.Message);
    }
}
