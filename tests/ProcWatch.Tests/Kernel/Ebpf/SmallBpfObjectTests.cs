using System.Diagnostics;
using ProcWatch.Core;
using ProcWatch.Events;
using ProcWatch.Kernel.Ebpf;
using ProcWatch.Kernel.ExecFailures;
using ProcWatch.Tests.Helpers;
using Xunit;

namespace ProcWatch.Tests.Kernel.Ebpf;

/// <summary>
/// The loader and ring reader the small BPF objects share (deny, failed execs), on the real
/// kernel with the failed-exec object: its ladder, the failures that name the step, and a
/// record that reaches the reader's handler.
/// </summary>
[Collection(EbpfCollection.Name)]
public sealed class SmallBpfObjectTests
{
    private static readonly SmallBpfObject.Layout FailedExecs = new(
        ResourceName: "ExecFailures.BpfObject",
        Subject: "the failed-exec eBPF object",
        ScratchMap: "execfail_scratch",
        RequiredMaps: ["execfail_events", "execfail_counters"],
        AttachLadder: [("tp_btf", "execfail_exit_btf"), ("raw_tp", "execfail_exit_raw")],
        AttachVariable: "PROCWATCH_TEST_NOT_SET");

    [KernelFact]
    public void TheBestRungLoads_AndALowerOneWhenTheBetterIsNotAllowed()
    {
        Assert.True(SmallBpfObject.TryLoad(FailedExecs, allowedModes: null, out SmallBpfObject? best, out Failure failure), FailureText.OneLine(failure));
        using (best)
        {
            Assert.Equal("tp_btf", best.AttachMode);
            Assert.Empty(best.AttachFailures);
            Assert.True(best.PossibleCpus >= Environment.ProcessorCount);
            Assert.True(best.MapFd("execfail_events") >= 0);
        }

        Assert.True(SmallBpfObject.TryLoad(FailedExecs, ["raw_tp"], out SmallBpfObject? lower, out failure), FailureText.OneLine(failure));
        using (lower)
        {
            Assert.Equal("raw_tp", lower.AttachMode);
            AttachAttempt skipped = Assert.Single(lower.AttachFailures);
            Assert.Equal("tp_btf", skipped.Mode);
            Assert.Equal(FailureStep.AttachModeNotAllowed, skipped.Failure.Step);
            Assert.Equal("PROCWATCH_TEST_NOT_SET", skipped.Failure.Subject);
        }
    }

    [KernelFact]
    public void AStaleBuild_FailsEachRungAtFindInObject_WithItsProgramNamed()
    {
        SmallBpfObject.Layout stale = FailedExecs with { RequiredMaps = ["execfail_events", "execfail_no_such_map"] };

        Assert.False(SmallBpfObject.TryLoad(stale, allowedModes: null, out _, out Failure failure));

        Assert.Equal(FailureStep.EveryAttachType, failure.Step);
        Assert.Equal(FailureKind.KernelUnsupported, failure.Kind);
        Assert.Equal(["tp_btf", "raw_tp"], failure.Attempts!.Select(a => a.Mode));
        Assert.All(failure.Attempts!, a => Assert.Equal(FailureStep.FindInObject, a.Failure.Step));
        Assert.Equal(
            "tp_btf: the embedded eBPF object lacks execfail_exit_btf or its maps (stale build?); raw_tp: the embedded eBPF object lacks execfail_exit_raw or its maps (stale build?)",
            FailureText.OneLine(failure));
    }

    [KernelFact]
    public void AnObjectNotBuiltIn_IsOneFailure_NamingIt()
    {
        SmallBpfObject.Layout missing = FailedExecs with { ResourceName = "NoSuch.BpfObject", Subject = "the test's eBPF object" };

        Assert.False(SmallBpfObject.TryLoad(missing, allowedModes: null, out _, out Failure failure));

        Assert.Equal(FailureStep.FindEmbeddedObject, failure.Step);
        Assert.Null(failure.Attempts);
        Assert.Equal("the test's eBPF object is not built into this procwatch (build it with clang and libbpf-dev installed)", FailureText.OneLine(failure));
    }

    [KernelFact]
    public void ARecord_ReachesTheHandler_AndAHandlerThatThrows_FaultsTheSink()
    {
        Assert.True(SmallBpfObject.TryLoad(FailedExecs, allowedModes: null, out SmallBpfObject? obj, out Failure failure), FailureText.OneLine(failure));
        using (obj)
        {
            string token = "smallbpf-" + Guid.NewGuid().ToString("N");
            var seen = new ManualResetEventSlim();
            var sink = new FaultSink();
            void OnRecord(ReadOnlySpan<byte> record)
            {
                ExecFailedEvent? e = ExecFailureRecordParser.TryParse(record, ProcWatch.Kernel.KernelClock.Shared, ProcWatch.Kernel.Accounts.AccountNames.Shared);
                if (e?.Filename?.Contains(token, StringComparison.Ordinal) != true)
                    return;
                seen.Set();
                throw new InvalidOperationException("the handler's own failure");
            }
            LibbpfRingReader? reader = LibbpfRingReader.TryOpen(obj.MapFd("execfail_events"), OnRecord, sink, "test ring", "a test record", out int errno);
            Assert.True(reader is not null, $"errno {errno}");
            using (reader)
            {
                reader.Start("procwatch-test-ring");
                // The shell's exec of a missing file fails with ENOENT in the kernel: one record.
                using (Process shell = Process.Start("/bin/sh", ["-c", $"exec /nonexistent/{token} 2>/dev/null"]))
                    shell.WaitForExit();

                Assert.True(seen.Wait(TimeSpan.FromSeconds(60)), "the failed exec's record never reached the handler");
                ProcWatchException fault = sink.WaitForFault(TimeSpan.FromSeconds(60));
                Assert.Equal(FailureKind.SystemError, fault.Kind);
                Assert.StartsWith("handling a test record failed: the handler's own failure", fault.Message, StringComparison.Ordinal);
            }
        }
    }

    private sealed class FaultSink : IEventSink
    {
        private readonly TaskCompletionSource<ProcWatchException> _first = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Post(ProcessEvent processEvent) { }

        public void Fault(ProcWatchException error) => _first.TrySetResult(error);

        public ProcWatchException WaitForFault(TimeSpan timeout) =>
            _first.Task.Wait(timeout) ? _first.Task.Result : throw new TimeoutException("no fault reached the sink");
    }
}
