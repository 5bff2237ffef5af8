using System.Reflection;
using System.Runtime.Versioning;
using Xunit;
using Xunit.Abstractions;

namespace ProcWatch.Tests.Api;

/// <summary>The library's public surface: one namespace, the everyday types, documented, and pinned by the PublicAPI files (issues 12, 16, 26).</summary>
public class PublicSurfaceTests(ITestOutputHelper output)
{
    // No count: the surface is pinned by its shape. PublicApiAnalyzers (src/PublicApi.targets)
    // fails the build when a public symbol is missing from src/ProcWatch/PublicAPI.*.txt
    // (RS0016) or listed there but gone (RS0017); a new public type is then a reviewed diff of
    // those files, not a number to raise. The tests below keep what that does not check.

    private static readonly Assembly Library = typeof(ProcessWatcher).Assembly;

    [Fact]
    public void PublicTypes_AreAllInTheProcWatchNamespace()
    {
        Type[] exported = Library.GetExportedTypes();
        foreach (Type t in exported.OrderBy(t => t.FullName, StringComparer.Ordinal))
            output.WriteLine(t.FullName);
        Assert.All(exported, t => Assert.Equal("ProcWatch", t.Namespace));
    }

    /// <summary>
    /// The API files and the built assembly agree type for type, both ways: a project that lost
    /// the analyzer (or an API file edited by hand without a build) fails here.
    /// </summary>
    [Fact]
    public void ThePublicApiFiles_ListExactlyTheExportedTypes()
    {
        string project = Path.Combine(RepositoryRoot(), "src", "ProcWatch");
        string[] lines = [.. File.ReadAllLines(Path.Combine(project, "PublicAPI.Shipped.txt")), .. File.ReadAllLines(Path.Combine(project, "PublicAPI.Unshipped.txt"))];
        Assert.Equal("#nullable enable", lines[0]); // nullable annotations are part of the shape
        // A type's own line is its bare name ("ProcWatch.ExecEvent"); members follow as "Type.Member...".
        SortedSet<string> listed = new(lines.Where(l => l.StartsWith("ProcWatch.", StringComparison.Ordinal) && !l.Contains(' ') && !l.Contains('(')), StringComparer.Ordinal);
        SortedSet<string> exported = new(Library.GetExportedTypes().Select(t => t.FullName!.Replace('+', '.')), StringComparer.Ordinal);
        Assert.Equal(exported, listed);
    }

    private static string RepositoryRoot()
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (File.Exists(Path.Combine(dir, "ProcWatch.slnx")))
                return dir;
        }
        throw new InvalidOperationException("ProcWatch.slnx not found above " + AppContext.BaseDirectory);
    }

    [Fact]
    public void TheEverydayTypes_ArePublic()
    {
        string[] expected =
        [
            "ProcessWatcher", "WatchOptions", "Backend", "EventFilter", "EventSubscription", "ProcessEvent", "ExecEvent",
            "ExitEvent", "ForkEvent", "LostEvent", "ProcessInfo", "ProcessEventKind", "ProcessEventKinds",
            "ProcWatchException", "FailureKind", "WatcherStatistics", "ExecutableSource",
        ];
        HashSet<string> names = Library.GetExportedTypes().Select(t => t.Name).ToHashSet();
        Assert.All(expected, name => Assert.Contains(name, names));
    }

    [Fact]
    public void TheAssembly_SaysItIsLinuxOnly()
    {
        var platform = Library.GetCustomAttribute<SupportedOSPlatformAttribute>();
        Assert.NotNull(platform);
        Assert.Equal("linux", platform.PlatformName);
    }

    [Fact]
    public void EveryPublicMember_IsDocumented()
    {
        // The build fails on CS1591 already; this checks the shipped XML file is there and covers every public type.
        string xmlPath = Path.ChangeExtension(Library.Location, ".xml");
        Assert.True(File.Exists(xmlPath), $"{xmlPath} missing: GenerateDocumentationFile is off");
        string xml = File.ReadAllText(xmlPath);
        Assert.All(Library.GetExportedTypes(), t => Assert.Contains($"\"T:{t.FullName!.Replace('+', '.')}\"", xml));
    }
}
