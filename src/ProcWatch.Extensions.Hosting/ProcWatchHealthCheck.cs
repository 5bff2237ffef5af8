using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ProcWatch.Extensions.Hosting;

/// <summary>Unhealthy when the watcher is not running, degraded after a fallback or a loss, healthy otherwise.</summary>
internal sealed class ProcWatchHealthCheck(ProcWatchHostedService service) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object>
        {
            ["backend"] = service.Watcher.ActiveBackend.ToString(),
            ["events"] = service.Watcher.Statistics.Total,
            ["lost"] = service.LostEvents,
        };
        HealthCheckResult result =
            service.Failure is { } failure ? HealthCheckResult.Unhealthy(failure.Message, failure, data)
            : !service.Running ? HealthCheckResult.Unhealthy("the process watcher is not running", data: data)
            : service.LastWarning is { } warning ? HealthCheckResult.Degraded(warning, data: data)
            : service.LostEvents > 0 ? HealthCheckResult.Degraded($"{service.LostEvents} events lost", data: data)
            : HealthCheckResult.Healthy($"watching with the {service.Watcher.ActiveBackend} backend", data);
        return Task.FromResult(result);
    }
}
