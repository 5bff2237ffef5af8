using ProcWatch.Daemon.Health;
using ProcWatch.Daemon.Outputs.ClickHouse;
using ProcWatch.Output.Sinks;

namespace ProcWatch.Daemon.Hosting;

internal sealed partial class DaemonService
{
    /// <summary>Each ClickHouse output writes heartbeats with the daemon's counters (its config: heartbeat_interval).</summary>
    private void StartHeartbeats(DaemonMetrics metrics, string backend)
    {
        foreach (IOutputSink output in _outputs)
        {
            if (output is ClickHouseSink clickHouse)
                clickHouse.StartHeartbeats(() => metrics.Heartbeat(backend, Kernel.Enforcement.DenyLevels.Name(_watcher!.Enforcer?.Level ?? EnforcementLevel.None)));
        }
    }
}
