using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using ProcWatch.Events;

namespace ProcWatch.Watching;

/// <summary>
/// The bounded FIFO between the receive thread and the one consumer. It is a
/// <see cref="ChannelReader{T}"/> for async consumers, and it also lets a consumer on its own
/// thread block in <see cref="WaitToRead"/> and take events in batches (<see cref="ReadBatch"/>).
/// Why not a <see cref="Channel{T}"/>: a channel wakes an async reader through the thread pool,
/// so every wake-up costs a worker hand-off (futex, sched_yield) on top of the consumer's own.
/// Here a blocked reader is woken directly, and only when it actually sleeps; a consumer that
/// coalesces (sleeps a millisecond between batches) costs the producer no system call at all.
/// The writer (<see cref="EventPipeline"/>) writes under its own lock, so there is one writer.
/// </summary>
internal sealed class EventQueue : ChannelReader<ProcessEvent>
{
    private const int InitialSlots = 1024;

    private readonly Lock _sync = new();
    private readonly object _signal = new(); // Monitor.Wait/Pulse target for a blocked reader
    private readonly int _capacity;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ProcessEvent?[] _ring;
    private int _head;
    private int _count;
    private bool _completed;
    private Exception? _error;
    private volatile bool _readerBlocked;
    private TaskCompletionSource<bool>? _asyncReader;

    public EventQueue(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;
        // Grows by doubling up to the capacity: a large bound costs memory only when a backlog needs it.
        _ring = new ProcessEvent?[Math.Min(capacity, InitialSlots)];
    }

    public override bool CanCount => true;

    public override int Count
    {
        get
        {
            lock (_sync)
                return _count;
        }
    }

    public override Task Completion => _completion.Task;

    /// <summary>Appends an event; false when the queue is full (the caller counts the drop).</summary>
    internal bool TryWrite(ProcessEvent processEvent)
    {
        TaskCompletionSource<bool>? asyncReader;
        lock (_sync)
        {
            if (_completed)
                return false;
            if (_count == _ring.Length && !Grow())
                return false;
            _ring[(_head + _count) % _ring.Length] = processEvent;
            _count++;
            asyncReader = _asyncReader;
            _asyncReader = null;
        }
        WakeReader(asyncReader);
        return true;
    }

    /// <summary>No more events will be written; <paramref name="error"/> ends the stream with that error.</summary>
    internal bool TryComplete(Exception? error = null)
    {
        TaskCompletionSource<bool>? asyncReader;
        bool empty;
        lock (_sync)
        {
            if (_completed)
                return false;
            _completed = true;
            _error = error;
            empty = _count == 0;
            asyncReader = _asyncReader;
            _asyncReader = null;
        }
        if (empty)
            CompleteDrained();
        WakeReader(asyncReader);
        return true;
    }

    public override bool TryRead(out ProcessEvent item)
    {
        bool drained;
        lock (_sync)
        {
            if (_count == 0)
            {
                item = null!;
                return false;
            }
            item = _ring[_head]!;
            _ring[_head] = null;
            _head = (_head + 1) % _ring.Length;
            _count--;
            drained = _completed && _count == 0;
            ShrinkIfEmpty();
        }
        if (drained)
            CompleteDrained();
        return true;
    }

    /// <summary>Moves up to <paramref name="into"/>.Length queued events into it under one lock; returns how many.</summary>
    public int ReadBatch(ProcessEvent[] into)
    {
        ArgumentNullException.ThrowIfNull(into);
        int n;
        bool drained;
        lock (_sync)
        {
            n = Math.Min(_count, into.Length);
            for (int i = 0; i < n; i++)
            {
                into[i] = _ring[_head]!;
                _ring[_head] = null;
                _head = (_head + 1) % _ring.Length;
            }
            _count -= n;
            drained = n > 0 && _completed && _count == 0;
            ShrinkIfEmpty();
        }
        if (drained)
            CompleteDrained();
        return n;
    }

    /// <summary>
    /// Blocks the calling thread until an event is queued (true) or the stream ended (false);
    /// a stream ended by an error throws that error, like <see cref="WaitToReadAsync"/>.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired.</exception>
    public bool WaitToRead(CancellationToken cancellationToken = default)
    {
        if (Ready(out bool result))
            return result;
        using CancellationTokenRegistration wake = cancellationToken.UnsafeRegister(static state => ((EventQueue)state!).PulseReader(), this);
        lock (_signal)
        {
            try
            {
                while (true)
                {
                    _readerBlocked = true; // set before the check: a writer after it sees the flag and pulses
                    if (Ready(out result))
                        return result;
                    cancellationToken.ThrowIfCancellationRequested();
                    Monitor.Wait(_signal);
                    _readerBlocked = false; // awake: writers need not pulse until it blocks again
                }
            }
            finally
            {
                _readerBlocked = false;
            }
        }
    }

    public override ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
            return ValueTask.FromCanceled<bool>(cancellationToken);
        TaskCompletionSource<bool> waiter;
        lock (_sync)
        {
            if (_count > 0)
                return new ValueTask<bool>(true);
            if (_completed)
                return _error is null ? new ValueTask<bool>(false) : ValueTask.FromException<bool>(_error);
            waiter = _asyncReader ??= new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        // Signalled means "look again": the answer (events, the end, or the error) comes from the re-check.
        return new ValueTask<bool>(WaitAsync(waiter.Task, cancellationToken));
    }

    private async Task<bool> WaitAsync(Task<bool> signalled, CancellationToken cancellationToken)
    {
        await signalled.WaitAsync(cancellationToken).ConfigureAwait(false);
        return await WaitToReadAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>True with the answer when the reader need not wait: events queued, or the stream ended.</summary>
    private bool Ready(out bool result)
    {
        lock (_sync)
        {
            if (_count > 0)
            {
                result = true;
                return true;
            }
            if (_completed)
            {
                if (_error is not null)
                    ExceptionDispatchInfo.Throw(_error);
                result = false;
                return true;
            }
        }
        result = false;
        return false;
    }

    private void WakeReader(TaskCompletionSource<bool>? asyncReader)
    {
        // The common case in a storm: the reader is busy or coalescing, so no system call here.
        // The fence orders the queued event before reading the flag (the reader does the reverse).
        Interlocked.MemoryBarrier();
        if (_readerBlocked)
            PulseReader();
        // An async reader re-checks the queue when it wakes (signalled means "look again").
        asyncReader?.TrySetResult(true);
    }

    private void PulseReader()
    {
        lock (_signal)
            Monitor.PulseAll(_signal);
    }

    private void CompleteDrained()
    {
        if (_error is null)
            _completion.TrySetResult();
        else
            _completion.TrySetException(_error);
    }

    /// <summary>A backlog is over: give its memory back instead of keeping the peak for good. Under _sync.</summary>
    private void ShrinkIfEmpty()
    {
        if (_count == 0 && _ring.Length > InitialSlots)
        {
            _ring = new ProcessEvent?[InitialSlots];
            _head = 0;
        }
    }

    private bool Grow()
    {
        if (_ring.Length >= _capacity)
            return false;
        var larger = new ProcessEvent?[(int)Math.Min((long)_ring.Length * 2, _capacity)];
        for (int i = 0; i < _count; i++)
            larger[i] = _ring[(_head + i) % _ring.Length];
        _ring = larger;
        _head = 0;
        return true;
    }
}
