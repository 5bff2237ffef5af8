// Prints every exec: pid, executable (and whether it is resolved), exact argv. Run as root
// for eBPF; as another user it falls back and says why. Ctrl+C stops it; so does an optional
// count: `WatchExecs 3` exits after three execs (the tests use that).
using ProcWatch;

int remaining = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : -1;
using var cts = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cts.Cancel(); };

using var watcher = new ProcessWatcher(new WatchOptions { Kinds = ProcessEventKinds.Exec });
watcher.Warning += (_, e) => Console.Error.WriteLine("warning: " + e.GetException().Message);

try
{
    await foreach (ProcessEvent e in watcher.WatchAsync(cts.Token))
    {
        switch (e)
        {
            case ExecEvent { Process: { } p }:
                string resolved = p.ExecutableResolved ? "resolved" : p.ExecutableSource.ToString();
                Console.WriteLine($"exec {p.Pid} {p.Executable} ({resolved}) argv={p.ArgvSource}: {string.Join(" | ", p.Args ?? [])}");
                if (remaining > 0 && --remaining == 0)
                    return 0;
                break;
            case LostEvent lost:
                Console.Error.WriteLine($"lost {lost.Count} events ({lost.Reason})");
                break;
        }
    }
}
catch (ProcWatchException ex)
{
    Console.Error.WriteLine("WatchExecs: " + ex.Message);
    return 1;
}
return 0;
