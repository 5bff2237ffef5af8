using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using ProcWatch.Daemon.Configuration;

namespace ProcWatch.Daemon.Hosting;

/// <summary>
/// Runs the daemon on the generic host with systemd integration (<c>AddSystemd</c>: READY=1
/// once subscribed, journal-friendly log lines, SIGTERM → orderly stop). Logs go to standard
/// error so that a <c>stdout</c> output carries only events.
/// </summary>
internal static class DaemonHost
{
    /// <summary>Runs until <paramref name="cancellationToken"/> fires or SIGTERM; returns the exit code (0, or 1 if the loop failed).</summary>
    /// <exception cref="ProcWatchException">The daemon could not start (message says why).</exception>
    public static async Task<int> RunAsync(DaemonConfig config, CancellationToken cancellationToken)
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings
        {
            ApplicationName = "procwatch",
        });
        builder.Logging.AddConsole();
        // Registered as the console provider looks formatters up (by name), without the
        // configuration binding of AddConsoleFormatter, which NativeAOT cannot do.
        builder.Services.AddSingleton<ConsoleFormatter, DaemonLogFormatter>();
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        // Start failures are reported by the caller as one line; the host would add a stack trace.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting", LogLevel.None);
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = config.Actions.Timeout + TimeSpan.FromSeconds(20));
        builder.Services.AddSystemd();
        // After AddSystemd, which picks its own formatter (with the category) under systemd.
        builder.Services.Configure<ConsoleLoggerOptions>(o =>
        {
            o.LogToStandardErrorThreshold = LogLevel.Trace;
            o.FormatterName = DaemonLogFormatter.FormatterName;
        });
        builder.Services.AddSingleton(config);
        builder.Services.AddSingleton<DaemonService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<DaemonService>());

        using IHost host = builder.Build();
        DaemonService service = host.Services.GetRequiredService<DaemonService>();
        await host.RunAsync(cancellationToken).ConfigureAwait(false);
        return service.Failure is null ? 0 : 1;
    }
}
