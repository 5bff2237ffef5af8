using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ProcWatch.Extensions.Hosting;

/// <summary>
/// Runs the application's <see cref="ProcessWatcher"/> with the host: starts it in
/// <see cref="StartAsync"/> (so a host cannot start without it: a <see cref="ProcWatchException"/>
/// is logged as one line and fails the start), drains its stream, logs what it reports.
/// </summary>
internal sealed partial class ProcWatchHostedService(ProcessWatcher watcher, IOptions<ProcWatchOptions> options, ILogger<ProcWatchHostedService> logger)
    : BackgroundService
{
    private System.Threading.Channels.ChannelReader<ProcessEvent>? _events;
    private volatile string? _warning;
    private volatile Exception? _failure;
    private long _lost;

    public ProcessWatcher Watcher => watcher;
    public bool Running => _events is not null && _failure is null && !(ExecuteTask?.IsCompleted ?? false);
    public string? LastWarning => _warning;
    public Exception? Failure => _failure;
    public long LostEvents => Interlocked.Read(ref _lost);

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        watcher.Warning += (_, e) =>
        {
            _warning = e.GetException().Message;
            Warning(logger, _warning);
        };
        watcher.Error += (_, e) => HandlerFailed(logger, e.GetException().Message, e.GetException().InnerException);
        try
        {
            _events = watcher.Start();
        }
        catch (Exception ex) when (ex is ProcWatchException or ArgumentException) // ArgumentException: an invalid or unsafe deny rule
        {
            _failure = ex;
            StartFailed(logger, ex.Message);
            throw;
        }
        Started(logger, watcher.ActiveBackend.ToString());
        if (watcher.Options.DenyRules.Count > 0)
            DenyStarted(logger, watcher.Options.DenyRules.Count, watcher.EnforcementLevel.ToString());
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var events = _events!;
        bool logLosses = options.Value.LogLosses;
        try
        {
            while (await events.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
            {
                while (events.TryRead(out ProcessEvent? e))
                {
                    if (e is LostEvent lost)
                    {
                        Interlocked.Add(ref _lost, Math.Max(1, lost.Count));
                        if (logLosses) Lost(logger, lost.Count, lost.Reason.ToString());
                        else LostDebug(logger, lost.Count, lost.Reason.ToString());
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (ProcWatchException ex)
        {
            _failure = ex;
            Failed(logger, ex.Message);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        watcher.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "ProcWatch started: {Backend} backend")]
    private static partial void Started(ILogger logger, string backend);

    [LoggerMessage(Level = LogLevel.Information, Message = "ProcWatch deny rules: {Count} enforced by {Level}")]
    private static partial void DenyStarted(ILogger logger, int count, string level);

    [LoggerMessage(Level = LogLevel.Warning, Message = "ProcWatch: {Warning}")]
    private static partial void Warning(ILogger logger, string warning);

    [LoggerMessage(Level = LogLevel.Warning, Message = "ProcWatch lost {Count} events ({Reason}); 0 means the kernel did not say how many")]
    private static partial void Lost(ILogger logger, long count, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "ProcWatch lost {Count} events ({Reason})")]
    private static partial void LostDebug(ILogger logger, long count, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "ProcWatch: {Message}")]
    private static partial void HandlerFailed(ILogger logger, string message, Exception? exception);

    [LoggerMessage(Level = LogLevel.Critical, Message = "ProcWatch cannot start: {Message}")]
    private static partial void StartFailed(ILogger logger, string message);

    [LoggerMessage(Level = LogLevel.Critical, Message = "ProcWatch stopped: {Message}")]
    private static partial void Failed(ILogger logger, string message);
}
