using System.Threading.Channels;
using ProcWatch.Core;
using ProcWatch.Kernel.Accounts;

namespace ProcWatch.Kernel.Enforcement;

/// <summary>
/// Carries the fanotify gate's denials to the event sink on a thread of their own: the gate
/// only tries to write (never waits, a full queue is counted in <see cref="Dropped"/>), and the
/// sink's lock, the stages behind it and the user-name lookups are never the gate's to wait for
/// (a stage that runs an action program would wait for the gate to answer that exec).
/// </summary>
internal sealed class DenialHandOff : IDisposable
{
    internal const int Capacity = 4096;

    private readonly Channel<PermissionDenial> _queue = Channel.CreateBounded<PermissionDenial>(
        new BoundedChannelOptions(Capacity) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly Task _poster;
    private long _dropped;

    /// <param name="deliver">Called on the hand-off's thread with each denial, in order.</param>
    internal DenialHandOff(Action<DeniedEvent> deliver, KernelClock clock, AccountNames accounts) =>
        _poster = Task.Factory.StartNew(() =>
        {
            ChannelReader<PermissionDenial> reader = _queue.Reader;
            while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
            {
                while (reader.TryRead(out PermissionDenial? denial))
                    deliver(denial.ToEvent(clock, accounts));
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>Denials the queue could not hold (the exec was still refused; its event is lost and counted).</summary>
    internal long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Never blocks.</summary>
    internal void Post(PermissionDenial denial)
    {
        if (!_queue.Writer.TryWrite(denial))
            Interlocked.Increment(ref _dropped);
    }

    /// <summary>Delivers what is queued, then stops.</summary>
    public void Dispose()
    {
        _queue.Writer.TryComplete();
        _poster.Wait(TimeSpan.FromSeconds(5));
    }
}
