using System.Diagnostics;
using System.Globalization;
using ProcWatch.Events;
using ProcWatch.Interop;
using ProcWatch.Tracking;

namespace ProcWatch.Benchmarks;

/// <summary>
/// `dotnet run -c Release -- hash-latency [ROUNDS]` (issue 22): how long the pipeline holds an
/// exec back to hash its file inline, by file size. Each round copies the file afresh (a new
/// version: a cache miss, as a dropped binary is) and times one <see cref="ExecutableHasher.Lookup"/>,
/// which is exactly the delay the exec event sees. Files over the inline bound are queued (the
/// delay is the open and the queueing only).
/// </summary>
internal static class HashLatencyBench
{
    public static int Run(string[] args)
    {
        int rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 200;
        string dir = Directory.CreateTempSubdirectory("pw-hash-latency-").FullName;
        try
        {
            Console.WriteLine("| file | size | inline | median µs | p99 µs | max µs |");
            Console.WriteLine("|---|---|---|---|---|---|");
            foreach (string source in new[] { "/bin/true", "/usr/bin/curl", "/usr/bin/bash", "/usr/bin/python3.11" })
            {
                if (!File.Exists(source))
                    continue;
                var hasher = new ExecutableHasher(new HashOptions { InlineBudgetPerSecond = TimeSpan.FromSeconds(1) });
                hasher.FollowUp = (_, _, _) => { };
                var micros = new List<double>(rounds);
                long size = new FileInfo(source).Length;
                string? status = null;
                for (int i = 0; i < rounds; i++)
                {
                    string copy = Path.Combine(dir, $"copy{i}");
                    File.Copy(source, copy, overwrite: true);
                    File.AppendAllText(copy, i.ToString(CultureInfo.InvariantCulture)); // a distinct version
                    ExecutableVersion v = VersionOf(copy);
                    long start = Stopwatch.GetTimestamp();
                    (_, status) = hasher.Lookup(Environment.ProcessId, copy, v, false, false, "bench");
                    micros.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
                    hasher.WaitIdle(TimeSpan.FromSeconds(30));
                    File.Delete(copy);
                }
                micros.Sort();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {source} | {size / 1024} KiB | {(status is null ? "yes" : "no (" + status + ")")} | {micros[micros.Count / 2]:F0} | {micros[(int)(micros.Count * 0.99)]:F0} | {micros[^1]:F0} |"));
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
        return 0;
    }

    private static ExecutableVersion VersionOf(string path)
    {
        int fd = Libc.Open(path, Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
        try
        {
            FileVersion.TryRead(fd, out ExecutableVersion v, out _);
            return v;
        }
        finally
        {
            Libc.Close(fd);
        }
    }
}
