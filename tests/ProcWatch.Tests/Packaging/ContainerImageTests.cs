using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using ProcWatch.Tests.Kernel.Ebpf;
using ProcWatch.Tests.Helpers;
using Xunit;
using Xunit.Abstractions;

namespace ProcWatch.Tests.Packaging;

/// <summary>
/// The OCI archive, loaded into podman and run with the container spec of
/// packaging/kubernetes/procwatch.yaml (the line docs/install.md shows): it reports a host
/// program's exec with its exact argv, captured by eBPF. The container and the image are
/// removed whatever happens.
/// </summary>
[Collection(PackagesCollection.Name)]
public partial class ContainerImageTests(BuiltPackages packages, ITestOutputHelper output)
{
    /// <summary>
    /// This machine's podman, not the container's needs: crun refuses its hybrid cgroup layout,
    /// and its default ulimits are above the hard limits here.
    /// </summary>
    private static readonly string[] PodmanHere = ["--runtime", "runc", "--cgroup-manager", "cgroupfs"];
    private static readonly string[] RunHere = ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"];

    [KernelFact] // eBPF and the proc connector from a container: root (CI)
    public void TheImage_RunAsDocumented_ReportsAHostExecWithExactArgvFromEbpf()
    {
        ContainerSpec spec = ContainerSpec.Load();
        string work = Directory.CreateTempSubdirectory("procwatch-image-").FullName;
        string name = "procwatch-test-" + Guid.NewGuid().ToString("N")[..12];
        string? image = null;
        try
        {
            string loaded = Podman("load", "-i", packages.OciArchive);
            image = LoadedImage().Match(loaded) is { Success: true } m ? m.Groups[1].Value : throw new Xunit.Sdk.XunitException("podman load said: " + loaded);
            Assert.Equal($"localhost/procwatch:{packages.Version}", image);

            string config = Path.Combine(work, "config");
            Directory.CreateDirectory(config);
            foreach ((string file, string text) in spec.ConfigMap.Data)
                File.WriteAllText(Path.Combine(config, file), text);
            List<string> run = spec.PodmanRunArguments(name, config, image);
            run.InsertRange(1, RunHere);
            output.WriteLine("podman " + string.Join(' ', run));
            Podman([.. run]);

            WaitForLog(name, log => log.Contains("ready: ebpf+connector", StringComparison.Ordinal), "the daemon to be ready with eBPF");

            string token = "image-" + Guid.NewGuid().ToString("N")[..8];
            string[] argv = ["/usr/bin/printf", "%s", token, "a b", "", "x'y\"z"];
            JsonElement? exec = null;
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
            while (exec is null && DateTime.UtcNow < deadline)
            {
                Programs.Run(argv[0], argv[1..]);
                exec = FindExec(Podman("logs", name), token);
            }
            Assert.True(exec is not null, $"no exec of {token} in the container's log:\n{Podman("logs", name)}");
            JsonElement process = exec.Value.GetProperty("process");
            Assert.Equal(argv, process.GetProperty("args").EnumerateArray().Select(a => a.GetString()));
            Assert.Equal("/usr/bin/printf", process.GetProperty("executable").GetString());
            Assert.Equal("ebpf", exec.Value.GetProperty("procwatch").GetProperty("argv_source").GetString());

            // The SHA-256 of executables: OpenSSL, which .NET loads with dlopen, is in the image too.
            // From the container, a host program is read through /proc/PID/exe while it runs (its
            // path is the host's, not the image's): a sleeping one is hashed, and later execs of
            // the same file carry the hash.
            using Process holder = Programs.Start("/bin/sleep", "600");
            try
            {
                var pids = new HashSet<int>();
                string? sha256 = null;
                deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
                while (sha256 is null && DateTime.UtcNow < deadline)
                {
                    using (Process quick = Programs.Start("/bin/sleep", "0"))
                    {
                        pids.Add(quick.Id);
                        quick.WaitForExit();
                    }
                    Thread.Sleep(200);
                    sha256 = FindExecs(Podman("logs", name), "\"sleep\"")
                        .Where(e => pids.Contains(e.GetProperty("process").GetProperty("pid").GetInt32()))
                        .Select(e => e.GetProperty("process").TryGetProperty("hash", out JsonElement hash) ? hash.GetProperty("sha256").GetString() : null)
                        .FirstOrDefault(h => h is not null);
                }
                Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes("/bin/sleep"))), sha256);
            }
            finally
            {
                holder.Kill();
                holder.WaitForExit();
            }
        }
        finally
        {
            Commands.Run("podman", [.. PodmanHere, "rm", "-f", "-t", "5", name], TimeSpan.FromMinutes(2));
            if (image is not null)
                Commands.Run("podman", [.. PodmanHere, "rmi", "-f", image], TimeSpan.FromMinutes(2));
            Directory.Delete(work, recursive: true);
        }
    }

    private static JsonElement? FindExec(string log, string token) =>
        FindExecs(log, token).Select(e => (JsonElement?)e).FirstOrDefault();

    /// <summary>The exec events in <paramref name="log"/> whose line mentions <paramref name="token"/>.</summary>
    private static IEnumerable<JsonElement> FindExecs(string log, string token)
    {
        foreach (string line in log.Split('\n'))
        {
            if (!line.StartsWith('{') || !line.Contains(token, StringComparison.Ordinal))
                continue;
            using JsonDocument doc = JsonDocument.Parse(line);
            if (doc.RootElement.GetProperty("event").GetProperty("action").GetString() == "exec")
                yield return doc.RootElement.Clone();
        }
    }

    private void WaitForLog(string name, Func<string, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        string log = "";
        while (DateTime.UtcNow < deadline)
        {
            log = Podman("logs", name);
            if (condition(log))
                return;
            if (!Podman("inspect", "-f", "{{.State.Running}}", name).Trim().Equals("true", StringComparison.Ordinal))
                break;
            Thread.Sleep(500);
        }
        output.WriteLine(log);
        throw new Xunit.Sdk.XunitException($"gave up waiting for {what}; the container's log:\n{log}");
    }

    private static string Podman(params string[] args) => Commands.Ok("podman", [.. PodmanHere, .. args], TimeSpan.FromMinutes(5));

    [GeneratedRegex(@"Loaded image(?:\(s\))?: (\S+)")]
    private static partial Regex LoadedImage();
}
