using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ProcWatch.Samples.CurlWorker;

/// <summary>Registers its handler in the constructor, before the watcher starts, so no curl is missed.</summary>
internal sealed partial class CurlAlert : BackgroundService
{
    private readonly ILogger<CurlAlert> _logger;
    private readonly EventSubscription _subscription;

    public CurlAlert(ProcessWatcher watcher, ILogger<CurlAlert> logger)
    {
        _logger = logger;
        var curl = new EventFilter { Kinds = ProcessEventKinds.Exec, Executable = "/usr/bin/curl" };
        _subscription = watcher.On(curl, OnCurlAsync);
    }

    private async Task OnCurlAsync(ProcessEvent e)
    {
        ProcessInfo? p = e.Process;
        // Log fields are structured values: argv stays one value, whatever it contains.
        CurlRan(_logger, e.Pid, p?.User?.Name ?? p?.User?.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), string.Join(' ', p?.Args ?? []));
        await Task.CompletedTask.ConfigureAwait(false); // a real reaction would await I/O here
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.Delay(Timeout.Infinite, stoppingToken);

    public override void Dispose()
    {
        _subscription.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "curl ran: pid {Pid} user {User} argv {Argv}")]
    private static partial void CurlRan(ILogger logger, int pid, string? user, string argv);
}
