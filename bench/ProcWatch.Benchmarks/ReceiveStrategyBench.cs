using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using ProcWatch.Events;
using ProcWatch.Interop;
using ProcWatch.Kernel.Connector;

namespace ProcWatch.Benchmarks;

/// <summary>
/// <c>receive</c>: which way of reading the proc connector socket costs least per event.
/// Three receivers, each parsing every datagram (nothing else), during the same fork storm
/// (<c>loadgen fork N</c>), interleaved over rounds:
/// <list type="bullet">
/// <item><c>recv</c>: a dedicated thread, poll(socket, stop eventfd), then recv(MSG_DONTWAIT) until EAGAIN.</item>
/// <item><c>recvmmsg</c>: the same thread, but each drain step takes up to 64 datagrams in one call.</item>
/// <item><c>async</c>: .NET's <see cref="Socket.ReceiveAsync(Memory{byte}, SocketFlags, CancellationToken)"/>
/// on the same fd (the runtime's epoll engine and thread pool).</item>
/// </list>
/// Reports the whole process's CPU time per event received (every thread the strategy uses),
/// receive system calls per event, and kernel overruns (ENOBUFS).
/// </summary>
internal static class ReceiveStrategyBench
{
    internal static int Run(string[] args)
    {
        int forks = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 20_000;
        int rounds = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 3;
        string loadgen = BuildLoadgen();
        string[] strategies = ["recv", "recvmmsg", "async"];
        foreach (string s in strategies)
            Measure(s, loadgen, 500); // JIT, page cache

        Console.WriteLine($"# loadgen fork {forks}: every fork and exit event parsed; whole-process CPU per event");
        Console.WriteLine("round\tstrategy\tevents\tcpu_ms\tns_per_event\tsyscalls_per_event\toverruns");
        var perStrategy = strategies.ToDictionary(s => s, _ => new List<double>());
        for (int round = 1; round <= rounds; round++)
        {
            for (int k = 0; k < strategies.Length; k++)
            {
                string s = strategies[(k + round) % strategies.Length];
                var m = Measure(s, loadgen, forks);
                double ns = m.Cpu.TotalNanoseconds / Math.Max(1, m.Events);
                perStrategy[s].Add(ns);
                Console.WriteLine($"{round}\t{s}\t{m.Events}\t{m.Cpu.TotalMilliseconds:F0}\t{ns:F0}\t{(double)m.Syscalls / Math.Max(1, m.Events):F2}\t{m.Overruns}");
            }
        }
        foreach (var (s, values) in perStrategy)
        {
            values.Sort();
            Console.WriteLine($"median\t{s}\t\t\t{values[values.Count / 2]:F0}");
        }
        return 0;
    }

    private readonly record struct Measurement(long Events, TimeSpan Cpu, long Syscalls, long Overruns);

    private sealed class Counters
    {
        public long Events;
        public long Syscalls;
        public long Overruns;
        public volatile bool Stop;
    }

    private static Measurement Measure(string strategy, string loadgen, int forks)
    {
        using var socket = ProcConnectorSocket.Open(8 * 1024 * 1024);
        socket.Subscribe(ProcessEventKinds.Fork | ProcessEventKinds.Exit, ConnectorEventSource.KernelSupportsFilter);
        var counters = new Counters();
        int stopFd = Libc.EventFd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        using var cancel = new CancellationTokenSource();
        Task receiver = strategy switch
        {
            "recv" => OnThread(() => PollRecv(socket.Fd, stopFd, counters)),
            "recvmmsg" => OnThread(() => PollRecvMmsg(socket.Fd, stopFd, counters)),
            _ => ReceiveAsync(socket.Fd, counters, cancel.Token),
        };
        Thread.Sleep(200);
        TimeSpan before = Process.GetCurrentProcess().TotalProcessorTime;
        using (var load = Process.Start(loadgen, ["fork", forks.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            load.WaitForExit();
        // Until the events stop coming (the storm's 2×N plus whatever else the machine did).
        long seen = -1;
        while (Interlocked.Read(ref counters.Events) != seen)
        {
            seen = Interlocked.Read(ref counters.Events);
            Thread.Sleep(300);
        }
        TimeSpan cpu = Process.GetCurrentProcess().TotalProcessorTime - before;
        counters.Stop = true;
        WakeStop(stopFd);
        cancel.Cancel();
        try { receiver.Wait(); } catch (AggregateException) { /* the async receiver ends by cancellation */ }
        Libc.Close(stopFd);
        return new Measurement(counters.Events, cpu, counters.Syscalls, counters.Overruns);
    }

    private static Task OnThread(Action body)
    {
        var done = new TaskCompletionSource();
        new Thread(() => { body(); done.SetResult(); }) { IsBackground = true }.Start();
        return done.Task;
    }

    private static unsafe void WakeStop(int fd)
    {
        ulong one = 1;
        Libc.Write(fd, (byte*)&one, sizeof(ulong));
    }

    private static void Count(ReadOnlySpan<byte> datagram, Counters counters)
    {
        var reader = new ConnectorDatagramReader(datagram);
        ConnectorReadResult r;
        while ((r = reader.Read(out _)) != ConnectorReadResult.End && r != ConnectorReadResult.Malformed)
        {
            if (r == ConnectorReadResult.Event)
                Interlocked.Increment(ref counters.Events);
        }
    }

    private static unsafe bool Poll(int fd, int stopFd)
    {
        Libc.pollfd* fds = stackalloc Libc.pollfd[2];
        fds[0] = new Libc.pollfd { fd = fd, events = Libc.POLLIN };
        fds[1] = new Libc.pollfd { fd = stopFd, events = Libc.POLLIN };
        while (Libc.Poll(fds, 2, -1) < 0) { }
        return fds[1].revents == 0;
    }

    private static unsafe void PollRecv(int fd, int stopFd, Counters counters)
    {
        byte* buffer = stackalloc byte[64 * 1024];
        while (!counters.Stop && Poll(fd, stopFd))
        {
            while (true)
            {
                counters.Syscalls++;
                nint n = Libc.Recv(fd, buffer, 64 * 1024, Libc.MSG_DONTWAIT);
                if (n > 0)
                {
                    Count(new ReadOnlySpan<byte>(buffer, (int)n), counters);
                    continue;
                }
                if (n < 0 && Marshal.GetLastPInvokeError() == Libc.ENOBUFS)
                {
                    counters.Overruns++;
                    continue;
                }
                break;
            }
        }
    }

    /// <summary>The connector source's own batch (<see cref="DatagramBatch"/>): what ships is what is measured.</summary>
    private static void PollRecvMmsg(int fd, int stopFd, Counters counters)
    {
        using var batch = new DatagramBatch();
        while (!counters.Stop && Poll(fd, stopFd))
        {
            while (true)
            {
                counters.Syscalls++;
                int n = batch.Receive(fd);
                if (n > 0)
                {
                    for (int i = 0; i < n; i++)
                        Count(batch.Datagram(i), counters);
                    if (n == DatagramBatch.Capacity)
                        continue;
                    break; // fewer than asked: the socket is empty now
                }
                if (n < 0 && Marshal.GetLastPInvokeError() == Libc.ENOBUFS)
                {
                    counters.Overruns++;
                    continue;
                }
                break;
            }
        }
    }

    private static async Task ReceiveAsync(int fd, Counters counters, CancellationToken cancellationToken)
    {
        using var socket = new Socket(new SafeSocketHandle(fd, ownsHandle: false));
        byte[] buffer = new byte[64 * 1024];
        while (!cancellationToken.IsCancellationRequested)
        {
            int n;
            try
            {
                counters.Syscalls++;
                n = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.NoBufferSpaceAvailable)
            {
                counters.Overruns++;
                continue;
            }
            catch (OperationCanceledException)
            {
                return;
            }
            Count(buffer.AsSpan(0, n), counters);
        }
    }

    private static string BuildLoadgen()
    {
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "bench", "loadgen.c")))
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("bench/loadgen.c not found above the benchmark");
        string output = Path.Combine(Path.GetTempPath(), $"procwatch-loadgen-{Environment.ProcessId}");
        using var cc = Process.Start("cc", ["-O2", "-pthread", "-o", output, Path.Combine(root, "bench", "loadgen.c")]);
        cc.WaitForExit();
        if (cc.ExitCode != 0)
            throw new InvalidOperationException("cc failed to build bench/loadgen.c");
        return output;
    }
}
