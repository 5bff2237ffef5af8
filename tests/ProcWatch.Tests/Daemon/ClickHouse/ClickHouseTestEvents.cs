using ProcWatch.Daemon.Outputs.ClickHouse;
using ProcWatch.Events;
using ProcWatch.Tests.Daemon;

namespace ProcWatch.Tests.Daemon.ClickHouse;

/// <summary>Synthetic exec events with unique args, and sink settings aimed at a test server and a private table.</summary>
internal static class ClickHouseTestEvents
{
    public static ExecEvent Exec(int i, string marker) => new()
    {
        KernelTimeNs = 1_000_000_000L + i,
        Timestamp = DateTimeOffset.UtcNow,
        Pid = 1000 + i % 60000,
        Tid = 1000 + i % 60000,
        Process = new ProcessInfo
        {
            Pid = 1000 + i % 60000,
            ParentPid = 1,
            Name = "worker",
            Executable = "/usr/bin/worker",
            Args = ["worker", marker, "n=" + i, "quote\"tab\tnewline\n"],
            EntityId = $"{marker}-{i}",
            User = new IdName(1000, "alice"),
        },
    };

    public static string UniqueTable() => "t_" + Guid.NewGuid().ToString("N")[..12];

    public static ClickHouseSettings Settings(Uri url, TempDir dir, string table, string password = ClickHouseServer.Password) => new()
    {
        Url = url,
        Database = "procwatch",
        Table = table,
        User = ClickHouseServer.User,
        PasswordFile = dir.Write("password", password + "\n"),
        SpoolDirectory = dir.File("spool"),
        BatchRows = 1000,
        BatchInterval = TimeSpan.FromMilliseconds(100),
        Timeout = TimeSpan.FromSeconds(10),
    };

    public static string Where(string table) => $"procwatch.{table}";
}
