using ProcWatch.Tests.Helpers;
using Xunit;
using Xunit.Abstractions;

namespace ProcWatch.Tests.Packaging;

/// <summary>
/// The .deb on this machine, as an admin meets it: apt-get install, the version, the man pages,
/// the completions, the default configuration; an upgrade to a build of a later commit keeps an
/// edited configuration; purge leaves none of its files. Whatever fails, the package is purged.
/// </summary>
[Collection(PackagesCollection.Name)]
public class DebianPackageTests(BuiltPackages packages, ITestOutputHelper output)
{
    private static readonly TimeSpan AptTimeout = TimeSpan.FromMinutes(15);
    private const string Config = "/etc/procwatch/procwatch.yaml";

    [KernelFact] // installs a system package: root (CI)
    public void Install_Upgrade_Purge()
    {
        Assert.True(Installed() is null,
            $"procwatch {Installed()} is installed on this machine; this test installs and purges its own: apt-get purge procwatch first");
        string work = Directory.CreateTempSubdirectory("procwatch-deb-").FullName;
        try
        {
            Apt("install", "-y", packages.Deb);
            Assert.Equal(packages.Version.Replace('-', '~'), Installed());
            Assert.StartsWith($"procwatch {packages.Version} (commit ", Run("/usr/bin/procwatch", "--version"));

            // Documentation and completions where man and bash look for them.
            Assert.Equal("/usr/share/man/man8/procwatch.8.gz", Run("man", "-w", "procwatch").Trim());
            Assert.Equal("/usr/share/man/man5/procwatch.yaml.5.gz", Run("man", "-w", "5", "procwatch.yaml").Trim());
            string page = Commands.Ok("man", ["-P", "cat", "5", "procwatch.yaml"], TimeSpan.FromMinutes(1),
                new Dictionary<string, string> { ["MANWIDTH"] = "200", ["LC_ALL"] = "C.UTF-8" });
            Assert.Contains("hash_max_size:", page);
            Assert.Contains("parent_executable:", page);
            string completed = Run("bash", "-c",
                "source /usr/share/bash-completion/completions/procwatch; COMP_WORDS=(procwatch daemon --c); COMP_CWORD=2; _procwatch; printf '%s\\n' \"${COMPREPLY[@]}\"");
            Assert.Equal(["--check-config", "--config"], completed.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order());
            Assert.True(File.Exists("/usr/share/zsh/vendor-completions/_procwatch"));
            foreach (string doc in new[] { "copyright", "changelog.gz", "README.md.gz" })
                Assert.True(File.Exists("/usr/share/doc/procwatch/" + doc), doc);
            Assert.Contains("ExecStart=/usr/bin/procwatch daemon --config /etc/procwatch/procwatch.yaml", File.ReadAllText("/lib/systemd/system/procwatch.service"));
            Assert.True(Directory.Exists("/var/log/procwatch"), "postinst creates the log directory");
            Assert.Contains("libbpf1", Run("dpkg-query", "-W", "-f=${Depends}", "procwatch"));

            Assert.Contains("valid", Run("/usr/bin/procwatch", "daemon", "--check-config", "--config", Config));

            // The admin edits the configuration...
            string edited = File.ReadAllText(Config).Replace("keep: 10", "keep: 3", StringComparison.Ordinal) + "# edited by DebianPackageTests\n";
            File.WriteAllText(Config, edited);

            // ...and upgrades to a build of the next commit.
            (string secondDeb, string secondVersion) = BuildNextCommit(work);
            Assert.NotEqual(packages.Version, secondVersion);
            Run("dpkg", "--compare-versions", secondVersion.Replace('-', '~'), "gt", packages.Version.Replace('-', '~'));
            Apt("install", "-y", secondDeb);
            Assert.Equal(secondVersion.Replace('-', '~'), Installed());
            Assert.StartsWith($"procwatch {secondVersion} (commit ", Run("/usr/bin/procwatch", "--version"));
            Assert.Equal(edited, File.ReadAllText(Config));
            Assert.Contains("valid", Run("/usr/bin/procwatch", "daemon", "--check-config", "--config", Config));

            // Purge: none of either package's files, nor the configuration or the logs, are left.
            var files = PackageFiles(packages.Deb).Concat(PackageFiles(secondDeb)).Distinct().ToList();
            File.WriteAllText("/var/log/procwatch/events.json", "{}\n"); // as a daemon would have left
            Apt("purge", "-y", "procwatch");
            Assert.Null(Installed());
            Assert.DoesNotContain(files, File.Exists);
            Assert.False(Directory.Exists("/etc/procwatch"));
            Assert.False(Directory.Exists("/var/log/procwatch"));
            Assert.True(files.Count > 10, $"only {files.Count} files in the package");
        }
        finally
        {
            if (Installed() is not null)
                Commands.Run("apt-get", ["purge", "-y", "procwatch"], AptTimeout, AptEnvironment);
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>
    /// A clone of this commit with one more (empty) commit, built and packaged as CI would: a
    /// different commit, so a different, later version.
    /// </summary>
    private (string Deb, string Version) BuildNextCommit(string work)
    {
        string clone = Path.Combine(work, "clone");
        string head = Run("git", "-C", Kernel.Ebpf.Programs.RepoRoot, "rev-parse", "HEAD").Trim();
        Run("git", "clone", "--quiet", "--no-checkout", Kernel.Ebpf.Programs.RepoRoot, clone);
        Run("git", "-C", clone, "checkout", "--quiet", head);
        Run("git", "-C", clone, "-c", "user.name=procwatch-tests", "-c", "user.email=tests@example.org",
            "commit", "--quiet", "--allow-empty", "-m", "next commit (DebianPackageTests)");
        output.WriteLine(Commands.Ok(Path.Combine(clone, "build.sh"), [], TimeSpan.FromMinutes(30), null, clone));
        string binary = Path.Combine(clone, "artifacts", "procwatch");
        string version = BuiltPackages.VersionOf(binary);
        string debs = Path.Combine(work, "debs");
        output.WriteLine(BuiltPackages.Package(clone, binary, debs, "deb"));
        return (Path.Combine(debs, $"procwatch_{version.Replace('-', '~')}_amd64.deb"), version);
    }

    /// <summary>The regular files a .deb installs (not the directories it shares with others).</summary>
    private static IEnumerable<string> PackageFiles(string deb) =>
        Run("dpkg-deb", "-c", deb).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(line => line[0] == '-')
            .Select(line => line[(line.IndexOf(" ./", StringComparison.Ordinal) + 2)..]);

    /// <summary>The installed version, or null.</summary>
    private static string? Installed()
    {
        (int code, string text) = Commands.Run("dpkg-query", ["-W", "-f=${db:Status-Abbrev} ${Version}", "procwatch"], TimeSpan.FromMinutes(1));
        return code == 0 && text.StartsWith("ii ", StringComparison.Ordinal) ? text[3..].Trim() : null;
    }

    private static readonly Dictionary<string, string> AptEnvironment = new() { ["DEBIAN_FRONTEND"] = "noninteractive" };

    private void Apt(params string[] args) =>
        output.WriteLine(Commands.Ok("apt-get", ["-o", "DPkg::Lock::Timeout=600", .. args], AptTimeout, AptEnvironment));

    private static string Run(string file, params string[] args) => Commands.Ok(file, args, TimeSpan.FromMinutes(5));
}
