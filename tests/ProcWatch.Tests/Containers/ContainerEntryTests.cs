using System.Diagnostics;
using System.Text.Json;
using ProcWatch.Tests.Cli;
using ProcWatch.Tests.Daemon;
using ProcWatch.Tests.Helpers;
using Xunit;

namespace ProcWatch.Tests.Containers;

/// <summary>
/// Entries without a container runtime: <c>nsenter</c> into a pid namespace made by
/// <c>unshare</c>. The process nsenter starts is an entry (its parent, nsenter, is outside);
/// the namespace's first process (pid 1 there) is not, nor is anything on the host.
/// </summary>
public sealed class ContainerEntryTests
{
    [KernelFact]
    public void Nsenter_into_a_pid_namespace_is_an_entry_and_its_first_process_is_not()
    {
        using CliProcess watch = CliRunner.Start("-f", "json", "-e", "exec", "-v");
        watch.WaitForReady();
        string first = $"60.{Random.Shared.Next(100000, 999999)}"; // sleep's argument: unique, and how the namespace's pid 1 is found
        string entered = $"pwentered{Guid.NewGuid():N}";
        using Process unshare = Process.Start("unshare", ["-p", "-f", "--mount-proc", "/bin/sleep", first])!;
        try
        {
            // The namespace's pid 1: the child unshare forked, running sleep.
            int inner = 0;
            Assert.True(watch.WaitUntil(() => (inner = PidOf(watch, first)) > 0, TimeSpan.FromSeconds(60)), $"no exec of sleep {first}");
            ContainerRuntimes.Run("nsenter", ["-t", inner.ToString(System.Globalization.CultureInfo.InvariantCulture), "-p", "-m", "/bin/echo", entered]);
            JsonElement entry = default;
            Assert.True(watch.WaitUntil(() => TryExec(watch, "/bin/echo", entered, out entry), TimeSpan.FromSeconds(60)), "the entered exec was not reported");

            Assert.True(entry.At("procwatch.container_entry").GetBoolean());
            Assert.Equal("nsenter", entry.Str("process.parent.name"));
            JsonElement pid1 = Exec(watch, "/bin/sleep", first);
            Assert.Null(pid1.Str("procwatch.container_entry"));
            Assert.Null(Exec(watch, "nsenter", entered).Str("procwatch.container_entry"));
        }
        finally
        {
            unshare.Kill(entireProcessTree: true);
            unshare.WaitForExit();
        }
    }

    /// <summary>The exec whose argv[0] is <paramref name="argv0"/> and whose last argument is <paramref name="last"/>.</summary>
    private static JsonElement Exec(CliProcess watch, string argv0, string last) =>
        TryExec(watch, argv0, last, out JsonElement e) ? e : throw new Xunit.Sdk.XunitException($"no exec of {argv0} ... {last}");

    private static bool TryExec(CliProcess watch, string argv0, string last, out JsonElement exec)
    {
        foreach (string line in watch.StdoutLines())
        {
            if (!line.Contains(last, StringComparison.Ordinal))
                continue;
            JsonElement e = EventFiles.Parse(line);
            if (e.Args() is [{ } first, .., { } final] && first == argv0 && final == last && e.Str("event.action") == "exec")
            {
                exec = e;
                return true;
            }
        }
        exec = default;
        return false;
    }

    private static int PidOf(CliProcess watch, string argv1)
    {
        foreach (string line in watch.StdoutLines())
        {
            if (!line.Contains(argv1, StringComparison.Ordinal))
                continue;
            JsonElement e = EventFiles.Parse(line);
            if (e.Args() is ["/bin/sleep", { } arg] && arg == argv1)
                return e.At("process.pid").GetInt32();
        }
        return 0;
    }
}
