using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace ProcWatch.Tests.Helpers;

/// <summary>
/// Why the tests split by need: byte-fixture unit tests run anywhere; a test marked
/// <see cref="KernelFactAttribute"/> or <see cref="KernelTheoryAttribute"/> needs a real kernel
/// and root (proc connector, eBPF, killing and tracing other processes). It carries the trait
/// Needs=kernel (`dotnet test --filter "Needs!=kernel"` runs the rest) and is skipped, with
/// that reason, only when not root; as root (CI) it always runs.
/// </summary>
internal static class KernelTests
{
    public const string TraitName = "Needs";
    public const string TraitValue = "kernel";

    public static string? SkipReason { get; } = Environment.IsPrivilegedProcess
        ? null
        : "needs root on a real kernel (proc connector, eBPF, other processes); run as root to include it";
}

[AttributeUsage(AttributeTargets.Method)]
[XunitTestCaseDiscoverer("Xunit.Sdk.FactDiscoverer", "xunit.execution.dotnet")]
[TraitDiscoverer("ProcWatch.Tests.Helpers.KernelTraitDiscoverer", "ProcWatch.Tests")]
internal sealed class KernelFactAttribute : FactAttribute, ITraitAttribute
{
    public KernelFactAttribute()
    {
        if (KernelTests.SkipReason is { } reason)
            Skip = reason;
    }
}

[AttributeUsage(AttributeTargets.Method)]
[XunitTestCaseDiscoverer("Xunit.Sdk.TheoryDiscoverer", "xunit.execution.dotnet")]
[TraitDiscoverer("ProcWatch.Tests.Helpers.KernelTraitDiscoverer", "ProcWatch.Tests")]
internal sealed class KernelTheoryAttribute : TheoryAttribute, ITraitAttribute
{
    public KernelTheoryAttribute()
    {
        if (KernelTests.SkipReason is { } reason)
            Skip = reason;
    }
}

/// <summary>Gives <see cref="KernelFactAttribute"/> and <see cref="KernelTheoryAttribute"/> their Needs=kernel trait.</summary>
public sealed class KernelTraitDiscoverer : ITraitDiscoverer
{
    public IEnumerable<KeyValuePair<string, string>> GetTraits(IAttributeInfo traitAttribute) =>
        [new(KernelTests.TraitName, KernelTests.TraitValue)];
}
