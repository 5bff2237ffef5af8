using System.Diagnostics;
using ProcWatch.Core;
using ProcWatch.Events;

namespace ProcWatch.Kernel.Connector;

/// <summary>
/// Finds out whether the proc connector works here: subscribe, start a short child, and wait
/// for an event that carries the child's pid as this pid namespace knows it. In a container
/// the kernel ignores the subscription (or, when a host process listens, delivers the host's
/// pids); on a kernel without CONFIG_PROC_EVENTS nothing arrives at all.
/// </summary>
internal static class ConnectorProbe
{
    /// <summary>Programs that exit at once, tried in order (the first that exists is run).</summary>
    private static readonly string[][] ProbeCommands = [["/bin/true"], ["/usr/bin/true"], ["/bin/sh", "-c", ":"]];

    /// <summary>True when the connector reported the test child in time; otherwise <paramref name="failure"/> says why not.</summary>
    public static bool TryConnector(TimeSpan timeout, out Failure failure)
    {
        // On the host (initial user and pid namespaces) any event proves the connector works:
        // waiting for our own child there only adds a way to fail on a busy machine.
        var sink = new ProbeSink(anyEventProves: Namespaces.DescribeNonInitial() is null);
        using var source = new ConnectorEventSource(ProcessEventKinds.Fork | ProcessEventKinds.Exec | ProcessEventKinds.Exit, 4 * 1024 * 1024);
        try
        {
            source.Start(sink, new WatcherStatistics());
        }
        catch (ProcWatchException ex) when (ex.Failure is { } refused)
        {
            failure = refused;
            return false;
        }

        int child = StartChild();
        if (child <= 0)
        {
            failure = new Failure(FailureKind.SystemError, 0, FailureStep.StartProbeProcess);
            return false;
        }
        if (sink.WaitFor(child, timeout))
        {
            failure = default;
            return true;
        }
        string? namespaces = Namespaces.DescribeNonInitial();
        failure = namespaces is not null
            ? new Failure(FailureKind.KernelUnsupported, 0, sink.EventCount > 0 ? FailureStep.ProbeSawHostPids : FailureStep.ProbeIgnoredInNamespace, namespaces)
            : new Failure(FailureKind.KernelUnsupported, 0, FailureStep.ProbeSawNothing, timeout.TotalMilliseconds.ToString("F0", System.Globalization.CultureInfo.InvariantCulture));
        return false;
    }

    private static int StartChild()
    {
        foreach (string[] command in ProbeCommands)
        {
            if (!File.Exists(command[0]))
                continue;
            var start = new ProcessStartInfo(command[0]) { UseShellExecute = false };
            for (int i = 1; i < command.Length; i++)
                start.ArgumentList.Add(command[i]);
            try
            {
                using Process? process = Process.Start(start);
                if (process is null)
                    continue;
                int pid = process.Id;
                process.WaitForExit(1000);
                return pid;
            }
            catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
            {
                // Not executable here: try the next one.
            }
        }
        return -1;
    }

    /// <summary>Remembers which pids the connector mentioned (the child's events may arrive before its pid is known).</summary>
    private sealed class ProbeSink(bool anyEventProves) : IEventSink
    {
        private const int MaxRemembered = 1 << 16; // a busy machine's pids during one probe; bounded
        private readonly HashSet<int> _pids = [];
        private readonly Lock _lock = new();
        private int _awaited = -1;
        private readonly ManualResetEventSlim _seen = new();

        public int EventCount { get; private set; }

        public void Post(ProcessEvent processEvent)
        {
            lock (_lock)
            {
                EventCount++;
                int pid = processEvent is ForkEvent fork ? fork.Pid : processEvent.Pid;
                if (_pids.Count < MaxRemembered)
                    _pids.Add(pid);
                if (pid == _awaited || anyEventProves)
                    _seen.Set();
            }
        }

        public bool WaitFor(int pid, TimeSpan timeout)
        {
            lock (_lock)
            {
                _awaited = pid;
                if (_pids.Contains(pid) || (anyEventProves && EventCount > 0))
                    return true;
            }
            return _seen.Wait(timeout);
        }
    }
}
