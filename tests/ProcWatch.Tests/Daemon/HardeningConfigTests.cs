using ProcWatch.Daemon.Configuration;
using Xunit;

namespace ProcWatch.Tests.Daemon;

/// <summary>The config keys of issue 20's items 2, 3 and 6: alerts files, flood bound, metrics access.</summary>
public sealed class HardeningConfigTests
{
    [Fact]
    public void A_file_output_gets_an_alerts_file_beside_it_unless_told_otherwise()
    {
        DaemonConfig config = ConfigLoader.Parse("""
            outputs:
              - type: file
                path: /var/log/pw/events.json
              - type: file
                path: /var/log/pw/other.log
                alerts: /var/log/pw-alerts/alerts.json
                alerts_max_size: 1MB
                alerts_keep: 3
              - type: file
                path: /var/log/pw/quiet.json
                alerts: none
            """, "a.yaml");
        Assert.Equal("/var/log/pw/events.alerts.json", config.Outputs[0].AlertsPath);
        Assert.Equal(10L * 1024 * 1024, config.Outputs[0].AlertsMaxBytes);
        Assert.Equal("/var/log/pw-alerts/alerts.json", config.Outputs[1].AlertsPath);
        Assert.Equal(1024 * 1024, config.Outputs[1].AlertsMaxBytes);
        Assert.Equal(3, config.Outputs[1].AlertsKeep);
        Assert.Null(config.Outputs[2].AlertsPath);
        Assert.Equal("/var/log/procwatch/events.alerts.json", new DaemonConfig { Source = "d" }.Outputs[0].AlertsPath);
    }

    [Theory]
    [InlineData("outputs:\n  - type: syslog\n    alerts: /x.json\n", "alerts, alerts_max_size and alerts_keep are for file outputs only")]
    [InlineData("outputs:\n  - type: file\n    path: /a/e.json\n    alerts: rel.json\n", "alerts must be absolute, not 'rel.json'")]
    [InlineData("outputs:\n  - type: file\n    path: /a/e.json\n    alerts: /a/e.json\n", "the alerts file /a/e.json is already an output")]
    [InlineData("flood:\n  per_hour: 1\n", "unknown key 'per_hour' in flood (expected bytes_per_minute, argv_kept, users)")]
    [InlineData("health:\n  token: x\n", "unknown key 'token' in health (expected interval, socket, listen, metrics_token_file, rule_metrics)")]
    public void Mistakes_are_one_line(string yaml, string message)
    {
        ConfigException error = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(yaml, "m.yaml"));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Flood_and_metrics_settings_are_read_with_sensible_defaults()
    {
        DaemonConfig defaults = new() { Source = "d" };
        Assert.Equal(64L * 1024 * 1024, defaults.Flood.BytesPerMinute);
        Assert.Equal(1024, defaults.Flood.ArgvKeptBytes);
        Assert.False(defaults.Health.RuleMetrics);
        Assert.Null(defaults.Health.MetricsTokenFile);

        DaemonConfig config = ConfigLoader.Parse("""
            flood:
              bytes_per_minute: 2MB
              argv_kept: 512B
              users: 100
            health:
              metrics_token_file: /etc/procwatch/metrics.token
              rule_metrics: true
            """, "f.yaml");
        Assert.Equal(2L * 1024 * 1024, config.Flood.BytesPerMinute);
        Assert.Equal(512, config.Flood.ArgvKeptBytes);
        Assert.Equal(100, config.Flood.MaxUsers);
        Assert.Equal("/etc/procwatch/metrics.token", config.Health.MetricsTokenFile);
        Assert.True(config.Health.RuleMetrics);
    }
}
