using System.Reflection;
using System.Runtime.Versioning;
using Xunit;
using Xunit.Abstractions;

namespace ProcWatch.Tests.Api;

/// <summary>The library's public surface stays small and in one namespace (issues 12 and 16).</summary>
public class PublicSurfaceTests(ITestOutputHelper output)
{
    // 38 since session 3: the new facets of a process (ContainerIdentity, ScriptInfo, ProgramFile)
    // and events (DeniedEvent, HashEvent) and the deny API (DenyRule, EnforcementLevel). Issue 26
    // replaces this count with PublicApiAnalyzers' shipped/unshipped files (the surface by shape).
    // 39 with ExecFailedEvent (issue 22 item 4: failed exec attempts).
    private const int MaxPublicTypes = 39;

    private static readonly Assembly Library = typeof(ProcessWatcher).Assembly;

    [Fact]
    public void PublicTypes_AreFewAndAllInTheProcWatchNamespace()
    {
        Type[] exported = Library.GetExportedTypes();
        foreach (Type t in exported.OrderBy(t => t.FullName, StringComparer.Ordinal))
            output.WriteLine(t.FullName);
        Assert.True(exported.Length <= MaxPublicTypes,
            $"{exported.Length} public types in ProcWatch.dll (at most {MaxPublicTypes}); make the new ones internal: {string.Join(", ", exported.Select(t => t.Name))}");
        Assert.All(exported, t => Assert.Equal("ProcWatch", t.Namespace));
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
