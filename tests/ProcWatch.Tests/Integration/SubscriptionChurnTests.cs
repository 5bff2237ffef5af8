using ProcWatch.Tests.Helpers;
using System.Threading.Channels;
using ProcWatch.Events;
using ProcWatch.Kernel.Connector;
using ProcWatch.Watching;
using Xunit;

namespace ProcWatch.Tests.Integration;

/// <summary>
/// B5: other clients subscribing and unsubscribing (each answered by a numbered ack sent to
/// every unfiltered listener) must not be reported as lost events; every marker arrives.
/// </summary>
public class SubscriptionChurnTests
{
    [KernelFact]
    public async Task OtherClientsSubscribing_IsNoLoss()
    {
        using var watcher = new ProcessWatcher(new WatchOptions { Kinds = ProcessEventKinds.All, Backend = Backend.Connector });
        ChannelReader<ProcessEvent> events = watcher.Start();
        var markers = new HashSet<int>();
        for (int round = 0; round < 30; round++)
        {
            // Real connector clients on other sockets: filtered and unfiltered, listen then ignore.
            using (ProcConnectorSocket other = ProcConnectorSocket.Open(64 * 1024))
                other.Subscribe(ProcessEventKinds.Exec | ProcessEventKinds.Exit, useKernelFilter: round % 2 == 0);
            for (int i = 0; i < 10; i++)
                markers.Add(Spawn.Run("/bin/true", []).Pid);
        }

        int lostReports = 0, seen = 0;
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var pending = new HashSet<int>(markers);
        while (pending.Count > 0 && await events.WaitToReadAsync(deadline.Token))
        {
            while (events.TryRead(out ProcessEvent? e))
            {
                if (e is LostEvent)
                    lostReports++;
                if (e is ExitEvent { IsThread: false } x && pending.Remove(x.Pid))
                    seen++;
            }
        }

        Assert.Equal(300, seen);
        Assert.Equal(0, watcher.Statistics.KernelOverruns); // a real loss would be a different failure
        Assert.Equal(0, watcher.Statistics.SequenceGaps);
        Assert.Equal(0, lostReports);
    }
}
