using Xunit;
using ProcWatch.Tests.Integration;

namespace ProcWatch.Tests.Daemon;

/// <summary>packaging/procwatch.service is a unit systemd accepts, hardened as documented.</summary>
public sealed class SystemdUnitTests
{
    private static string UnitPath()
    {
        string? root = AppContext.BaseDirectory;
        while (root is not null && !File.Exists(Path.Combine(root, "ProcWatch.slnx")))
            root = Path.GetDirectoryName(root.TrimEnd('/'));
        Assert.NotNull(root);
        return Path.Combine(root!, "packaging", "procwatch.service");
    }

    [Fact]
    public void Systemd_analyze_verify_accepts_the_unit()
    {
        if (!File.Exists("/usr/bin/systemd-analyze"))
        {
            // Test-time dependency only: systemd need not be init for `verify` to work on a file.
            Spawn.Run("/bin/sh", ["-c", "DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends systemd >/dev/null 2>&1 || (apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends systemd >/dev/null)"]);
        }
        Assert.True(File.Exists("/usr/bin/systemd-analyze"), "systemd-analyze could not be installed");

        // verify checks that ExecStart's program exists: point it at a stand-in (the unit is otherwise unchanged).
        using var dir = new TempDir();
        string program = dir.Write("procwatch", "#!/bin/sh\n");
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(program, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        string unit = File.ReadAllText(UnitPath()).Replace("/usr/local/bin/procwatch", program, StringComparison.Ordinal);
        string copy = dir.Write("procwatch.service", unit);

        using System.Diagnostics.Process p = Spawn.Start("/usr/bin/systemd-analyze", ["verify", copy]);
        string stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0 && stderr.Length == 0, $"systemd-analyze verify: exit {p.ExitCode}\n{stderr}");
    }

    [Fact]
    public void The_unit_is_hardened_with_only_the_capabilities_it_needs()
    {
        string[] lines = File.ReadAllLines(UnitPath());
        Assert.Contains("Type=notify", lines);
        Assert.Contains("NoNewPrivileges=yes", lines);
        Assert.Contains("ProtectSystem=strict", lines);
        Assert.Contains("ReadWritePaths=/var/log/procwatch", lines);
        Assert.Contains("Restart=on-failure", lines);
        Assert.Contains(lines, l => l.StartsWith("ProtectHome=", StringComparison.Ordinal));
        string caps = Assert.Single(lines, l => l.StartsWith("CapabilityBoundingSet=", StringComparison.Ordinal));
        Assert.Equal(
            ["CAP_BPF", "CAP_DAC_READ_SEARCH", "CAP_KILL", "CAP_NET_ADMIN", "CAP_PERFMON", "CAP_SYS_PTRACE", "CAP_SYS_RESOURCE"],
            caps["CapabilityBoundingSet=".Length..].Split(' ').Order().ToArray());
    }
}
