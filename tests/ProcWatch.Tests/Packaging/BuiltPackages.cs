using System.Text.RegularExpressions;
using ProcWatch.Tests.Helpers;
using Xunit;

namespace ProcWatch.Tests.Packaging;

/// <summary>
/// packaging/build.sh run once (deb, oci, nuget) for the tests of the "packages" collection,
/// into a temporary folder, from the binary the other tests run (PROCWATCH_BIN, else
/// artifacts/procwatch). Built on first use, so a run where those tests are skipped builds nothing.
/// </summary>
public sealed partial class BuiltPackages : IDisposable
{
    private readonly Lazy<string> _directory = new(Build);

    public string Directory => _directory.Value;

    public static string Binary => Path.GetFullPath(ProcwatchBinary.NativeBinary ?? Path.Combine(Kernel.Ebpf.Programs.RepoRoot, "artifacts", "procwatch"));

    /// <summary>The binary's version (and so every package's).</summary>
    public string Version => VersionOf(Binary);

    public string Deb => Path.Combine(Directory, $"procwatch_{Version.Replace('-', '~')}_amd64.deb");

    public string OciArchive => Path.Combine(Directory, $"procwatch-{Version}.oci.tar");

    /// <summary>`procwatch --version` → its VERSION.</summary>
    public static string VersionOf(string binary)
    {
        string line = Commands.Ok(binary, ["--version"], TimeSpan.FromMinutes(1)).Trim();
        Match m = VersionLine().Match(line);
        Assert.True(m.Success, $"{binary} --version said '{line}'");
        return m.Groups[1].Value;
    }

    /// <summary>Runs <c>packaging/build.sh</c> of <paramref name="repository"/> on <paramref name="binary"/> into <paramref name="output"/>.</summary>
    public static string Package(string repository, string binary, string output, params string[] targets)
    {
        System.IO.Directory.CreateDirectory(output);
        return Commands.Ok(Path.Combine(repository, "packaging", "build.sh"), targets, TimeSpan.FromMinutes(30),
            new Dictionary<string, string> { ["PROCWATCH_BIN"] = binary, ["PACKAGE_OUT"] = output }, repository);
    }

    private static string Build()
    {
        if (!File.Exists(Binary))
            throw new FileNotFoundException($"{Binary} does not exist: run ./build.sh (or set PROCWATCH_BIN)");
        string directory = System.IO.Directory.CreateTempSubdirectory("procwatch-packages-").FullName;
        Package(Kernel.Ebpf.Programs.RepoRoot, Binary, directory, "deb", "oci", "nuget");
        return directory;
    }

    public void Dispose()
    {
        if (_directory.IsValueCreated)
            System.IO.Directory.Delete(_directory.Value, recursive: true);
    }

    [GeneratedRegex(@"^procwatch (\S+) \(commit ")]
    private static partial Regex VersionLine();
}

[CollectionDefinition(Name)]
public sealed class PackagesCollection : ICollectionFixture<BuiltPackages>
{
    public const string Name = "packages";
}
