using Xunit;
using ProcWatch.Kernel.Ebpf;

namespace ProcWatch.Tests.Kernel.Ebpf;

/// <summary>
/// Runs an <see cref="ExecCapture"/> and keeps the records a test cares about. Other tests
/// (and other engineers' test runs) exec concurrently on this machine, so every test filters
/// on a token of its own.
/// </summary>
internal sealed class ExecCollector : IDisposable
{
    private readonly Func<ExecRecord, bool> _filter;
    private readonly List<ExecRecord> _records = [];
    private readonly ExecCapture _capture;

    private ExecCollector(Func<ExecRecord, bool> filter)
    {
        _filter = filter;
        if (!ExecCapture.TryStart(OnRecord, out ExecCapture? capture, out ProcWatch.Core.Failure failure))
        {
            throw new InvalidOperationException("eBPF exec capture unavailable: " + ProcWatch.Core.FailureText.OneLine(failure));
        }
        _capture = capture;
    }

    internal ExecCapture Capture => _capture;

    /// <summary>
    /// Keeps execs of a program named <paramref name="comm"/> with an argument that starts with
    /// <paramref name="token"/> (the launching shell or helper has the token too, but not as
    /// its comm).
    /// </summary>
    internal static ExecCollector ForToken(string token, string comm = "true") =>
        new(r => r.Comm == comm && r.Argv.Any(a => a.StartsWith(token, StringComparison.Ordinal)));

    internal static ExecCollector Where(Func<ExecRecord, bool> filter) => new(filter);

    internal static string NewToken() => "pwt" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>Waits until <paramref name="done"/> holds for the records so far (or the timeout), and returns them.</summary>
    internal List<ExecRecord> WaitUntil(Func<List<ExecRecord>, bool> done, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        lock (_records)
        {
            while (!done(_records))
            {
                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero)
                {
                    break;
                }
                Monitor.Wait(_records, left);
            }
            Assert.Null(_capture.Fault);
            return [.. _records];
        }
    }

    internal List<ExecRecord> WaitForCount(int count, TimeSpan? timeout = null) => WaitUntil(r => r.Count >= count, timeout);

    private void OnRecord(ExecRecord record)
    {
        if (!_filter(record))
        {
            return;
        }
        lock (_records)
        {
            _records.Add(record);
            Monitor.PulseAll(_records);
        }
    }

    public void Dispose() => _capture.Dispose();
}
