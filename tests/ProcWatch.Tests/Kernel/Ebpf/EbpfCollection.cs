using Xunit;
namespace ProcWatch.Tests.Kernel.Ebpf;

/// <summary>
/// The eBPF tests run one after another: each attaches its own program and they would only
/// slow each other down; <see cref="ExecCaptureDisabledTests"/> also sets a process-wide
/// environment variable, so that collection runs alone.
/// </summary>
[CollectionDefinition(Name)]
public sealed class EbpfCollection
{
    public const string Name = "Ebpf";
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EbpfEnvironmentCollection
{
    public const string Name = "Ebpf environment";
}
