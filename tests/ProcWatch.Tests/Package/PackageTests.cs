using System.Diagnostics;
using System.Text.RegularExpressions;
using ProcWatch.Tests.Kernel.Ebpf;
using ProcWatch.Tests.Helpers;
using Xunit;
using Xunit.Abstractions;

namespace ProcWatch.Tests.Package;

/// <summary>
/// The package as a developer meets it: packed to a folder, installed into a fresh console app
/// (outside this repository: none of its build settings apply), the package README's example
/// pasted as is, built, and run as root: it must print a child's exact argv, from eBPF.
/// </summary>
public partial class PackageTests(ITestOutputHelper output)
{
    [KernelFact] // eBPF needs root: skipped with that reason otherwise, never passed vacuously
    public void TheReadmeExample_InAFreshApp_GetsExactArgvFromEbpf()
    {
        string work = Directory.CreateTempSubdirectory("procwatch-package-").FullName;
        try
        {
            string feed = Path.Combine(work, "feed");
            string version = "0.0.0-test." + DateTime.UtcNow.ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture);
            // A private package cache: the fresh app restores exactly this pack, nothing cached.
            var env = new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(work, "packages") };
            DotnetCli.Ok(Programs.RepoRoot, null, "pack", "src/ProcWatch", "-c", "Release", "-o", feed, "-p:MinVerVersionOverride=" + version, "-nologo");
            Assert.True(File.Exists(Path.Combine(feed, $"ProcWatch.{version}.nupkg")));
            Assert.True(File.Exists(Path.Combine(feed, $"ProcWatch.{version}.snupkg")));

            string app = Path.Combine(work, "Watch");
            DotnetCli.Ok(work, env, "new", "console", "-o", app, "--framework", "net10.0");
            DotnetCli.Ok(app, env, "add", "package", "ProcWatch", "--version", version, "--source", feed);
            File.WriteAllText(Path.Combine(app, "Program.cs"), ReadmeExample());
            string build = DotnetCli.Ok(app, env, "build", "-c", "Release", "--source", feed, "-nologo");
            output.WriteLine(build);
            Assert.Contains(" 0 Warning(s)", build); // the example is warning-free as is (CA1416 included)

            using var watch = new Process
            {
                StartInfo = new ProcessStartInfo(Path.Combine(app, "bin", "Release", "net10.0", "Watch"))
                {
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                },
            };
            var lines = new System.Collections.Concurrent.BlockingCollection<string>();
            watch.OutputDataReceived += (_, e) => { if (e.Data is not null) lines.Add(e.Data); };
            watch.ErrorDataReceived += (_, e) => { if (e.Data is not null) output.WriteLine("stderr: " + e.Data); };
            watch.Start();
            watch.BeginOutputReadLine();
            watch.BeginErrorReadLine();
            try
            {
                var pids = new HashSet<int>();
                string? seen = null;
                var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
                while (seen is null && DateTime.UtcNow < deadline)
                {
                    // Spawned until one is seen: the watcher subscribes a moment after it starts.
                    using (Process child = Programs.Start("/usr/bin/printf", "%s", "a b", "", "x'y\"z", "--flag=1"))
                    {
                        pids.Add(child.Id);
                        child.WaitForExit();
                    }
                    while (lines.TryTake(out string? line, TimeSpan.FromMilliseconds(300)))
                    {
                        Match m = LinePid().Match(line);
                        if (m.Success && pids.Contains(int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)))
                        {
                            seen = line;
                            break;
                        }
                    }
                }
                Assert.NotNull(seen);
                output.WriteLine("seen: " + seen);
                Assert.EndsWith(" /usr/bin/printf [/usr/bin/printf, %s, a b, , x'y\"z, --flag=1] (Ebpf)", seen);
            }
            finally
            {
                if (!watch.HasExited)
                {
                    _ = Kernel.Ebpf.Programs.Run("kill", "-INT", watch.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    if (!watch.WaitForExit(10_000))
                        watch.Kill();
                }
            }
            Assert.Equal(0, watch.ExitCode); // Ctrl+C ends the example cleanly
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [Fact]
    public void Pack_WithoutTheBpfObject_Fails()
    {
        // --no-build: only the packing step runs (nothing rebuilt without the object).
        (int code, string text) = DotnetCli.Run(Programs.RepoRoot, null, "pack", "src/ProcWatch", "-c", "Release", "--no-build",
            "-o", Path.Combine(Path.GetTempPath(), "procwatch-nopack"), "-p:ProcWatchBpfObject=/nonexistent/exec_capture.bpf.o", "-nologo");
        Assert.NotEqual(0, code);
        Assert.Contains("ProcWatch: cannot pack without the eBPF object /nonexistent/exec_capture.bpf.o", text);
    }

    /// <summary>The first C# block of the package README, as is.</summary>
    private static string ReadmeExample()
    {
        string readme = File.ReadAllText(Path.Combine(Programs.RepoRoot, "src", "ProcWatch", "PACKAGE.md"));
        Match m = CSharpBlock().Match(readme);
        Assert.True(m.Success, "no ```csharp block in PACKAGE.md");
        return m.Groups[1].Value;
    }

    [GeneratedRegex("```csharp\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();

    [GeneratedRegex(@"^(\d+) ")]
    private static partial Regex LinePid();
}
