using System.Diagnostics;
using System.Text.Json;
using Xunit;

namespace ProcWatch.Tests.Cli.Report;

/// <summary>
/// A real browser for the report tests: Debian's chromium (installed with apt when missing,
/// as ./test.sh runs as root on a fresh machine) driven headless by playwright-core from npm
/// (tests/browser, pinned by its package-lock.json). <see cref="Inspect"/> runs
/// tests/browser/inspect-report.mjs and returns what it saw.
/// </summary>
public sealed class BrowserFixture
{
    public const string Chromium = "/usr/bin/chromium";

    public BrowserFixture()
    {
        RepoRoot = FindRepoRoot();
        BrowserDir = Path.Combine(RepoRoot, "tests", "browser");
        if (!File.Exists(Chromium))
        {
            // Other installs may hold the dpkg lock: wait for it rather than fail.
            if (Run("apt-get", ["-o", "DPkg::Lock::Timeout=600", "install", "-y", "--no-install-recommends", "chromium"], RepoRoot, TimeSpan.FromMinutes(15)).Code != 0)
            {
                Run("apt-get", ["-o", "DPkg::Lock::Timeout=600", "update"], RepoRoot, TimeSpan.FromMinutes(10));
                var retry = Run("apt-get", ["-o", "DPkg::Lock::Timeout=600", "install", "-y", "--no-install-recommends", "chromium"], RepoRoot, TimeSpan.FromMinutes(15));
                Assert.True(retry.Code == 0, $"cannot install chromium: {retry.Output}");
            }
        }
        if (!File.Exists(Path.Combine(BrowserDir, "node_modules", "playwright-core", "package.json")))
        {
            var npm = Run("npm", ["ci", "--no-audit", "--no-fund"], BrowserDir, TimeSpan.FromMinutes(10));
            Assert.True(npm.Code == 0, $"npm ci in tests/browser failed: {npm.Output}");
        }
        ScreenshotDir = Path.Combine(RepoRoot, "artifacts", "test-screenshots", "report");
    }

    public string RepoRoot { get; }
    public string BrowserDir { get; }

    /// <summary>Where the screenshots (test artifacts) go.</summary>
    public string ScreenshotDir { get; }

    /// <summary>Opens the report and returns inspect-report.mjs's JSON.</summary>
    public JsonElement Inspect(string report, params string[] options)
    {
        var r = Run("node", [Path.Combine(BrowserDir, "inspect-report.mjs"), report, .. options], BrowserDir, TimeSpan.FromMinutes(2));
        Assert.True(r.Code == 0, $"inspect-report.mjs failed ({r.Code}): {r.Output}");
        string last = r.Stdout.TrimEnd().Split('\n')[^1];
        using JsonDocument doc = JsonDocument.Parse(last);
        return doc.RootElement.Clone();
    }

    internal static (int Code, string Stdout, string Output) Run(string file, IEnumerable<string> args, string cwd, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo(file) { WorkingDirectory = cwd, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args) psi.ArgumentList.Add(a);
        psi.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        using Process p = Process.Start(psi)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            return (-1, stdout.Result, $"{file} timed out after {timeout}\n{stderr.Result}");
        }
        return (p.ExitCode, stdout.Result, stdout.Result + stderr.Result);
    }

    private static string FindRepoRoot()
    {
        DirectoryInfo? dir = new(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ProcWatch.slnx")))
            dir = dir.Parent;
        return dir?.FullName ?? throw new DirectoryNotFoundException($"no ProcWatch.slnx above {AppContext.BaseDirectory}");
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "browser";
}
