using System.Globalization;
using System.Text;
using ProcWatch.Events;
using ProcWatch.Text;
using ProcWatch.Watching;

namespace ProcWatch.Cli;

/// <summary>The `-S` summary: events per kind, execs per second, top executables, every kind of loss, table evictions.</summary>
internal static class StatsReport
{
    public static string Format(WatcherStatistics stats, TimeSpan elapsed, ExecTally? execs = null)
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
        sb.Append(inv, $"execs per second: {stats.Count(ProcessEventKind.Exec) / seconds:F1} over {seconds:F1} s\n");
        if (execs is not null)
        {
            List<KeyValuePair<string, long>> top = execs.Top(10);
            if (top.Count > 0)
            {
                sb.Append("top executables:\n");
                foreach (KeyValuePair<string, long> pair in top)
                    sb.Append(inv, $"{pair.Value,12}  ").Append(TerminalText.Escape(pair.Key)).Append('\n');
            }
        }
        sb.Append(inv, $"lost: kernel overruns {stats.KernelOverruns}, queue drops {stats.QueueDrops}, ")
          .Append(inv, $"sequence gaps {stats.SequenceGaps}, ring buffer drops {stats.RingBufferDrops}, malformed {stats.Malformed}\n");
        sb.Append(inv, $"process table evictions: {stats.TableEvictions}\n");
        return sb.ToString();
    }
}
