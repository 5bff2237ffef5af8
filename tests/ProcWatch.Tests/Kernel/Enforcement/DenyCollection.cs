using Xunit;

namespace ProcWatch.Tests.Kernel.Enforcement;

/// <summary>Deny tests one after another: each loads its own enforcement program (only ever denying inside its own temp directory).</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DenyCollection
{
    public const string Name = "Deny";
}
