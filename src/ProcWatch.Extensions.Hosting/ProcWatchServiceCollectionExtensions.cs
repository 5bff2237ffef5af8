using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ProcWatch.Extensions.Hosting;

/// <summary><c>services.AddProcWatch(…)</c>: one <see cref="ProcessWatcher"/> for the application, run by a hosted service.</summary>
public static class ProcWatchServiceCollectionExtensions
{
    /// <summary>
    /// Registers a singleton <see cref="ProcessWatcher"/> (inject it and call <c>On(…)</c> in a
    /// constructor to miss nothing), a hosted service that starts it with the host and
    /// stops it with the host, and logs its warnings, losses and handler failures through
    /// <see cref="ILogger"/>. Options come from the <c>"ProcWatch"</c> configuration section
    /// when there is one, then from <paramref name="configure"/>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Changes the options after configuration binding.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddProcWatch(this IServiceCollection services, Action<ProcWatchOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        OptionsBuilder<ProcWatchOptions> options = services.AddOptions<ProcWatchOptions>()
            .BindConfiguration(ProcWatchOptions.SectionName)
            .Validate(o => o.QueueCapacity >= 1, "ProcWatch:QueueCapacity must be at least 1")
            .Validate(o => o.ReceiveBufferBytes >= 1, "ProcWatch:ReceiveBufferBytes must be at least 1")
            .Validate(o => Enum.IsDefined(o.Backend), "ProcWatch:Backend must be Auto, Connector, Ebpf or Procfs")
            .ValidateOnStart();
        if (configure is not null)
            options.Configure(configure);
        services.TryAddSingleton(sp => new ProcessWatcher(sp.GetRequiredService<IOptions<ProcWatchOptions>>().Value.ToWatchOptions()));
        services.TryAddSingleton<ProcWatchHostedService>();
        services.AddHostedService(sp => sp.GetRequiredService<ProcWatchHostedService>());
        return services;
    }

    /// <summary>
    /// Adds the health check <paramref name="name"/>: unhealthy until the watcher runs or after it failed,
    /// degraded after a backend fallback or while events are being lost, healthy otherwise.
    /// </summary>
    /// <param name="builder">From <c>services.AddHealthChecks()</c>.</param>
    /// <param name="name">The check's name.</param>
    /// <returns><paramref name="builder"/>.</returns>
    public static IHealthChecksBuilder AddProcWatchCheck(this IHealthChecksBuilder builder, string name = "procwatch")
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Add(new HealthCheckRegistration(name,
            sp => new ProcWatchHealthCheck(sp.GetRequiredService<ProcWatchHostedService>()), HealthStatus.Unhealthy, ["procwatch"]));
    }
}
