using ProcWatch.Events;
using ProcWatch.Watching;
using Xunit;

namespace ProcWatch.Tests.Watching;

/// <summary>
/// The output rule (docs/ARCHITECTURE.md, "Output timing"): an event queued within the window (10 ms) after a pass waits for the
/// rest of that window and no longer; a quiet stream's event is handled at once; a
/// backlog is written whole. Time is a fake clock that moves only when a test moves it, so
/// the rule is proved without timing anything: a hold that should not happen leaves the test
/// waiting for a write (and it fails after a generous timeout), a hold that should happen is
/// seen as the consumer asleep on the clock with the deadline the rule gives.
/// </summary>
public class EventConsumerTests
{
    private const long Ms = 1_000_000;
    private const long Window = EventConsumer.CoalesceNs;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private static ExecEvent Exec(int pid) => new() { KernelTimeNs = pid, Timestamp = DateTimeOffset.UnixEpoch, Pid = pid, Tid = pid };

    [Fact]
    public void AnEventOnAQuietStream_IsWrittenAtOnce_WithoutTheClockMoving()
    {
        var clock = new StillClock(1000 * Ms);
        using var run = new ConsumerRun(clock);
        run.Queue.TryWrite(Exec(1));
        run.Handler.WaitWritten(1);
        clock.Advance(Window + 5 * Ms); // a quiet spell, longer than the window
        run.Queue.TryWrite(Exec(2));
        run.Handler.WaitWritten(2); // the clock stays where it is: nothing may wait for it
        Assert.Null(clock.Sleeper);
        Assert.Equal([[1], [2]], run.Handler.Writes());
    }

    [Fact]
    public void AnEventWithinTheWindowAfterAWrite_WaitsForTheRestOfIt_AndNoLonger()
    {
        var clock = new StillClock(1000 * Ms);
        using var run = new ConsumerRun(clock);
        run.Queue.TryWrite(Exec(1));
        run.Handler.WaitWritten(1); // the pass found the queue empty at 1000 ms
        run.Queue.TryWrite(Exec(2)); // still 1000 ms: within the window
        Assert.Equal(1000 * Ms + Window, clock.WaitForSleeper()); // held until the window is over, not a moment longer
        run.Queue.TryWrite(Exec(3)); // joins it
        Assert.Equal([[1]], run.Handler.Writes());
        clock.Advance(Window);
        run.Handler.WaitWritten(3);
        Assert.Equal([[1], [2, 3]], run.Handler.Writes()); // one write for both
    }

    [Fact]
    public void AfterAPassWithCompany_TheConsumerSleepsOutTheWindow_BeforeAnyEventWakesIt()
    {
        var clock = new StillClock(1000 * Ms);
        var queue = new EventQueue(64);
        queue.TryWrite(Exec(1));
        queue.TryWrite(Exec(2));
        using var run = new ConsumerRun(clock, queue);
        run.Handler.WaitWritten(2);
        // A storm: more is likely to come, so it sleeps on the clock, not in the queue (no wake-up by the producer).
        Assert.Equal(1000 * Ms + Window, clock.WaitForSleeper());
        Assert.False(queue.TryRead(out _));
        queue.TryWrite(Exec(3));
        clock.Advance(Window);
        run.Handler.WaitWritten(3);
        Assert.Equal([[1, 2], [3]], run.Handler.Writes());
    }

    [Fact]
    public void ABacklogLargerThanABatch_IsWrittenWhole_InOrder_AndInBoundedWrites()
    {
        const int count = 5000;
        var clock = new StillClock(1000 * Ms);
        var queue = new EventQueue(count);
        for (int pid = 1; pid <= count; pid++)
            Assert.True(queue.TryWrite(Exec(pid)));
        using var run = new ConsumerRun(clock, queue);
        run.Handler.WaitWritten(count);
        List<int[]> writes = run.Handler.Writes();
        Assert.Equal(Enumerable.Range(1, count), writes.SelectMany(w => w));
        Assert.All(writes, w => Assert.InRange(w.Length, 1, 1024)); // what is held between writes stays bounded
    }

    [Fact]
    public void AStopMidStorm_LosesNothing_DrainRestWritesWhatRunLeft()
    {
        const int count = 3000;
        var queue = new EventQueue(count);
        for (int pid = 1; pid <= count; pid++)
            Assert.True(queue.TryWrite(Exec(pid)));
        var handler = new RecordingHandler();
        var consumer = new EventConsumer(queue, handler, new StillClock(1000 * Ms));
        using var stop = new CancellationTokenSource();
        stop.Cancel();
        consumer.Run(stop.Token); // stopped: returns after at most one batch
        Assert.True(handler.Writes().Sum(w => w.Length) < count);
        queue.TryComplete(); // the sources are stopped
        consumer.DrainRest();
        Assert.Equal(Enumerable.Range(1, count), handler.Writes().SelectMany(w => w));
        Assert.Equal(count, consumer.Handled);
    }

    /// <summary>Monotonic time that moves only by <see cref="Advance"/>; a sleeper is visible while it sleeps.</summary>
    private sealed class StillClock(long startNs) : ConsumerClock
    {
        private readonly object _gate = new();
        private long _now = startNs;

        public long? Sleeper { get { lock (_gate) return _sleeper; } }

        private long? _sleeper;

        public override long NowNs()
        {
            lock (_gate)
                return _now;
        }

        public override void SleepUntil(long deadlineNs)
        {
            lock (_gate)
            {
                if (_now >= deadlineNs)
                    return;
                _sleeper = deadlineNs;
                Monitor.PulseAll(_gate);
                while (_now < deadlineNs)
                    Monitor.Wait(_gate);
                _sleeper = null;
            }
        }

        public void Advance(long ns)
        {
            lock (_gate)
            {
                _now += ns;
                Monitor.PulseAll(_gate);
            }
        }

        /// <summary>The deadline the consumer sleeps until, once it sleeps.</summary>
        public long WaitForSleeper()
        {
            DateTime until = DateTime.UtcNow + Wait;
            lock (_gate)
            {
                while (_sleeper is null)
                {
                    TimeSpan left = until - DateTime.UtcNow;
                    Assert.True(left > TimeSpan.Zero, "the consumer never slept on the clock");
                    Monitor.Wait(_gate, left);
                }
                return _sleeper.Value;
            }
        }
    }

    /// <summary>Each <see cref="Flush"/> that has events is one write: the pids it wrote.</summary>
    private sealed class RecordingHandler : IEventBatchHandler
    {
        private readonly object _gate = new();
        private readonly List<int> _pending = [];
        private readonly List<int[]> _writes = [];

        public bool Closed => false;

        public bool Finished => false;

        public void Handle(ReadOnlySpan<ProcessEvent> batch)
        {
            lock (_gate)
            {
                foreach (ProcessEvent e in batch)
                    _pending.Add(e.Pid);
            }
        }

        public void Flush()
        {
            lock (_gate)
            {
                if (_pending.Count == 0)
                    return;
                _writes.Add([.. _pending]);
                _pending.Clear();
                Monitor.PulseAll(_gate);
            }
        }

        public List<int[]> Writes()
        {
            lock (_gate)
                return [.. _writes];
        }

        public void WaitWritten(int pid)
        {
            DateTime until = DateTime.UtcNow + Wait;
            lock (_gate)
            {
                while (!_writes.Exists(w => Array.IndexOf(w, pid) >= 0))
                {
                    TimeSpan left = until - DateTime.UtcNow;
                    Assert.True(left > TimeSpan.Zero, $"event {pid} was never written");
                    Monitor.Wait(_gate, left);
                }
            }
        }
    }

    /// <summary>A consumer on its own thread, as the CLI runs it; disposing ends the stream and joins it.</summary>
    private sealed class ConsumerRun : IDisposable
    {
        private readonly Thread _thread;
        private Exception? _failure;

        public ConsumerRun(StillClock clock, EventQueue? queue = null)
        {
            Queue = queue ?? new EventQueue(64);
            var consumer = new EventConsumer(Queue, Handler, clock);
            _thread = new Thread(() =>
            {
                try { consumer.Run(); }
                catch (Exception ex) { _failure = ex; }
            }) { IsBackground = true, Name = "test-consumer" };
            _thread.Start();
            Clock = clock;
        }

        public EventQueue Queue { get; }

        public RecordingHandler Handler { get; } = new();

        private StillClock Clock { get; }

        public void Dispose()
        {
            Queue.TryComplete();
            Clock.Advance(1000 * Ms); // out of any sleep
            Assert.True(_thread.Join(Wait), "the consumer did not end with its stream");
            Assert.Null(_failure);
        }
    }
}

/// <summary>The real clock's sleep: a deadline that has passed (even the earliest there is) returns at once.</summary>
public class ConsumerClockTests
{
    [Theory]
    [InlineData(long.MinValue)]
    [InlineData(0L)]
    public void ADeadlineInThePast_ReturnsAtOnce(long deadline)
    {
        var sleeper = new Thread(() => ConsumerClock.Monotonic.SleepUntil(deadline)) { IsBackground = true };
        sleeper.Start();
        Assert.True(sleeper.Join(TimeSpan.FromSeconds(30)), "slept for a deadline long past");
    }

    [Fact]
    public void ADeadlineAhead_IsSleptUntil()
    {
        long deadline = ConsumerClock.Monotonic.NowNs() + 2_000_000;
        ConsumerClock.Monotonic.SleepUntil(deadline);
        Assert.True(ConsumerClock.Monotonic.NowNs() >= deadline);
    }
}
