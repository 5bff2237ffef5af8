namespace ProcWatch.Daemon.Configuration;

/// <summary>What the daemon runs without <c>--config</c>: every launch and exit to a rotated JSON-lines file.</summary>
internal static class DefaultConfig
{
    public const string Yaml = """
        # procwatch daemon built-in default
        events: [exec, exit]
        outputs:
          - type: file
            path: /var/log/procwatch/events.json
            max_size: 100MB
            keep: 10
        """;

    /// <summary>The <see cref="DaemonConfig.Source"/> of this configuration: there is no file to re-read.</summary>
    public const string SourceName = "built-in default";

    public static DaemonConfig Load() => ConfigLoader.Parse(Yaml, SourceName);
}
