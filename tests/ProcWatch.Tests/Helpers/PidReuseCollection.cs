using Xunit;

namespace ProcWatch.Tests.Helpers;

/// <summary>
/// Tests that force pid reuse by writing /proc/sys/kernel/ns_last_pid run alone, after the
/// parallel collections. ns_last_pid moves the pid counter for the whole machine: while one of
/// them runs, every process another test starts lands on the few pids being reused, and that
/// test's "events of pid N" then hold other processes' events too (CLOSING-session3.md,
/// "pid-reuse contamination").
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PidReuseCollection
{
    public const string Name = "pid reuse";
}
