namespace ProcWatch.Daemon.Outputs.ClickHouse;

/// <summary>How the ClickHouse writers (delivery, heartbeats) stop their background loop.</summary>
internal static class BackgroundLoop
{
    /// <summary>
    /// Cancels <paramref name="loop"/> and waits at most 5 s for it to end (a stop must not hang
    /// on a server that does not answer). The loop ends by cancellation, and anything else it
    /// met was already reported where it happened.
    /// </summary>
    public static void Stop(CancellationTokenSource stop, Task loop)
    {
        stop.Cancel();
        try
        {
            loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // Ended by cancellation, or by a failure already reported.
        }
    }
}
