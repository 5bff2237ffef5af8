using System.Globalization;
using System.Text;
using ProcWatch.Events;
using ProcWatch.Text;
using ProcWatch.Watching;

namespace ProcWatch.Cli;

/// <summary>
/// The `-S` summary: events per kind as received from the kernel, what was shown after the
/// filters (when any), execs per second, top executables, every kind of loss, and
/// process-table evictions.
/// </summary>
internal static class StatsReport
{
    public static string Format(WatcherStatistics stats, TimeSpan elapsed, ExecTally? shown = null, bool filtered = false)
    {
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        sb.Append(inv, $"{"Event",-10} {"Count",12} {"Per sec",10}\n");
        double seconds = Math.Max(elapsed.TotalSeconds, 1e-3);
        foreach (ProcessEventKind kind in Enum.GetValues<ProcessEventKind>())
        {
            long count = stats.Count(kind);
            if (count == 0) continue;
            sb.Append(inv, $"{kind.Name(),-10} {count,12} {count / seconds,10:F1}\n");
        }
        sb.Append(inv, $"{"total",-10} {stats.Total,12} {stats.Total / seconds,10:F1}\n");
        if (filtered && shown is not null)
        {
            sb.Append("shown after filters:");
            foreach (ProcessEventKind kind in Enum.GetValues<ProcessEventKind>())
            {
                if (shown.Shown(kind) > 0)
                    sb.Append(inv, $" {kind.Name()} {shown.Shown(kind)}");
            }
            sb.Append('\n');
        }
        long execs = filtered && shown is not null ? shown.Shown(ProcessEventKind.Exec) : stats.Count(ProcessEventKind.Exec);
        sb.Append(inv, $"execs per second: {execs / seconds:F1} over {seconds:F1} s{(filtered ? " (shown)" : "")}\n");
        if (shown is not null)
        {
            List<KeyValuePair<string, long>> top = shown.Top(10);
            if (top.Count > 0)
            {
                sb.Append("top executables:\n");
                foreach (KeyValuePair<string, long> pair in top)
                    sb.Append(inv, $"{pair.Value,12}  ").Append(TerminalText.Escape(pair.Key)).Append('\n');
            }
        }
        sb.Append(inv, $"lost: kernel overruns {stats.KernelOverruns}, queue drops {stats.QueueDrops}, ")
          .Append(inv, $"sequence gaps {stats.SequenceGaps}, ring buffer drops {stats.RingBufferDrops}, malformed {stats.Malformed}\n");
        sb.Append(inv, $"process table evictions: {stats.TableEvictions}, eBPF cross-check shortfalls: {stats.CrossCheckShortfalls}\n");
        return sb.ToString();
    }
}
