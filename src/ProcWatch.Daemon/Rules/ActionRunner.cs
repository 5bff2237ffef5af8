using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using System.Threading.Channels;

namespace ProcWatch.Rules;

/// <summary>One run of a rule's <c>exec</c> action.</summary>
/// <param name="Argv">The program and its arguments, exactly as configured: never a shell string.</param>
/// <param name="Stdin">The event as one JSON document (one line).</param>
/// <param name="Environment">PROCWATCH_* variables describing the event.</param>
internal sealed record ActionRequest(
    string RuleName, IReadOnlyList<string> Argv, byte[] Stdin, IReadOnlyList<KeyValuePair<string, string>> Environment);

internal enum ActionResult
{
    Succeeded,
    Failed,
    TimedOut,
    CouldNotStart,
}

internal sealed record ActionRunnerOptions
{
    /// <summary>An action still running after this is killed (with every process of its process group).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Actions running at once.</summary>
    public int Concurrency { get; init; } = 2;

    /// <summary>Actions waiting to run; past this new ones are dropped and counted.</summary>
    public int QueueCapacity { get; init; } = 256;
}

/// <summary>How an action ended, or why it never ran: one counter each (and one metric label, <see cref="ActionCounters.Labels"/>).</summary>
internal enum ActionOutcome
{
    Succeeded,
    Failed,
    TimedOut,
    RateLimited,
    QueueFull,
}

/// <summary>How each action ended; read any time.</summary>
internal sealed class ActionCounters
{
    /// <summary>The metric label of each <see cref="ActionOutcome"/>, in its order.</summary>
    public static readonly string[] Labels = ["succeeded", "failed", "timed_out", "rate_limited", "queue_full"];

    private readonly long[] _counts = new long[Labels.Length];

    public long this[ActionOutcome outcome] => Volatile.Read(ref _counts[(int)outcome]);

    internal void OnResult(ActionResult result) => Count(result switch
    {
        ActionResult.Succeeded => ActionOutcome.Succeeded,
        ActionResult.TimedOut => ActionOutcome.TimedOut,
        _ => ActionOutcome.Failed,
    });

    internal void OnQueueFull() => Count(ActionOutcome.QueueFull);
    public void OnRateLimited() => Count(ActionOutcome.RateLimited);

    private void Count(ActionOutcome outcome) => Interlocked.Increment(ref _counts[(int)outcome]);
}

/// <summary>
/// Runs <c>exec</c> actions off the event path: <see cref="TryEnqueue"/> never blocks (a full
/// queue drops and counts), a few workers start each program with the event on stdin, and
/// an action that outlives the timeout is killed with its process group (<see cref="ActionProcess"/>). The action's
/// stdout is discarded; the start of its stderr is reported when it fails.
/// </summary>
internal sealed class ActionRunner : IAsyncDisposable
{
    private const int StderrKept = 512;
    private readonly ActionRunnerOptions _options;
    private readonly Action<ActionRequest, ActionResult, string>? _onFinished;
    private readonly Channel<ActionRequest> _queue;
    private readonly Task[] _workers;

    /// <param name="onFinished">Called after each action with its result and a one-line detail (exit code, stderr).</param>
    public ActionRunner(ActionRunnerOptions options, Action<ActionRequest, ActionResult, string>? onFinished = null)
    {
        _options = options;
        _onFinished = onFinished;
        _queue = Channel.CreateBounded<ActionRequest>(new BoundedChannelOptions(Math.Max(1, options.QueueCapacity))
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = false,
        });
        _workers = new Task[Math.Max(1, options.Concurrency)];
        for (int i = 0; i < _workers.Length; i++)
            _workers[i] = Task.Run(WorkAsync);
    }

    public ActionCounters Counters { get; } = new();

    public bool TryEnqueue(ActionRequest request)
    {
        if (_queue.Writer.TryWrite(request))
            return true;
        Counters.OnQueueFull();
        return false;
    }

    /// <summary>Stops taking actions and waits for the queued and running ones (each bounded by the timeout).</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await Task.WhenAll(_workers).ConfigureAwait(false);
    }

    private async Task WorkAsync()
    {
        await foreach (ActionRequest request in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            (ActionResult result, string detail) = await RunAsync(request, _options.Timeout).ConfigureAwait(false);
            Counters.OnResult(result);
            try
            {
                _onFinished?.Invoke(request, result, detail);
            }
            catch (Exception)
            {
                // A reporting failure must not stop the worker.
            }
        }
    }

    /// <summary>
    /// Runs one action to its end or its timeout. At the timeout the action's whole process group
    /// is killed (see <see cref="ActionProcess"/>), and so are processes of its group still holding
    /// its output pipes when the timeout comes after the action itself has exited.
    /// </summary>
    public static async Task<(ActionResult Result, string Detail)> RunAsync(ActionRequest request, TimeSpan timeout)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            string key = (string)entry.Key;
            if (!key.StartsWith("PROCWATCH_", StringComparison.Ordinal)) environment[key] = (string?)entry.Value ?? "";
        }
        foreach (KeyValuePair<string, string> variable in request.Environment)
            environment[variable.Key] = variable.Value;

        ActionProcess process;
        try
        {
            process = ActionProcess.Start(request.Argv, environment);
        }
        catch (Win32Exception ex)
        {
            return (ActionResult.CouldNotStart, $"cannot start {request.Argv[0]}: {ex.Message}");
        }

        using (process)
        {
            using var deadline = new CancellationTokenSource(timeout);
            Task stdin = WriteStdinAsync(process.Stdin, request.Stdin, deadline.Token);
            Task stdout = process.Stdout.CopyToAsync(Stream.Null, deadline.Token);
            Task<string> stderr = ReadHeadAsync(process.Stderr, deadline.Token);
            bool timedOut = !await process.WaitForExitAsync(timeout).ConfigureAwait(false);
            if (timedOut)
                process.KillGroup();
            await Quietly(stdin).ConfigureAwait(false);
            // Ends when every writer has closed the pipes, or at the deadline.
            await Quietly(stdout).ConfigureAwait(false);
            string errorText = await stderr.ConfigureAwait(false);
            if (!timedOut && !stdout.IsCompletedSuccessfully)
                process.KillGroup(); // the action exited, processes of its group outlived the timeout holding its output
            if (timedOut)
                await process.WaitForExitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            int exitCode = process.Reap();

            if (timedOut)
                return (ActionResult.TimedOut, $"killed after {timeout.TotalSeconds:0.###} s");
            if (exitCode != 0)
                return (ActionResult.Failed, errorText.Length == 0 ? $"exit code {exitCode}" : $"exit code {exitCode}: {errorText}");
            return (ActionResult.Succeeded, "exit code 0");
        }
    }

    private static async Task WriteStdinAsync(Stream stdin, byte[] data, CancellationToken cancellationToken)
    {
        try
        {
            await stdin.WriteAsync(data, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            stdin.Close();
        }
    }

    private static async Task<string> ReadHeadAsync(Stream stream, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[StderrKept];
        int kept = 0;
        try
        {
            byte[] scratch = new byte[4096];
            int n;
            while ((n = await stream.ReadAsync(scratch, cancellationToken).ConfigureAwait(false)) > 0)
            {
                int take = Math.Min(n, buffer.Length - kept);
                Array.Copy(scratch, 0, buffer, kept, take);
                kept += take;
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            // Keep what arrived.
        }
        string text = Encoding.UTF8.GetString(buffer, 0, kept);
        var line = new StringBuilder(text.Length);
        foreach (char c in text.AsSpan().Trim())
            line.Append(char.IsControl(c) ? ' ' : c);
        return line.ToString();
    }

    private static async Task Quietly(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or InvalidOperationException)
        {
            // The action closed its stdin early, or was killed: not a failure of ours.
        }
    }
}
