using ProcWatch.Tests.Kernel.Ebpf;
using Xunit;
using Xunit.Abstractions;

namespace ProcWatch.Tests.Architecture;

/// <summary>
/// Folders are layers (issue 26): no two folders of src/ProcWatch may use each other, directly
/// or around a longer loop. The dependency is what the compiler binds (a name in a file of one
/// folder that resolves to a type declared in another), so a fully qualified name or a type in
/// namespace <c>ProcWatch</c> counts as much as a <c>using</c>.
/// </summary>
public sealed class FolderLayerTests(ITestOutputHelper output)
{
    /// <summary>
    /// Cycles known and accepted, each as its folders joined by " &lt;-&gt; " in ordinal order.
    /// Empty: every cycle was broken. An entry here must say why it stays and who removes it.
    /// </summary>
    private static readonly HashSet<string> AcceptedCycles = new(StringComparer.Ordinal);

    [Fact]
    public void NoTwoFoldersOfTheLibraryUseEachOther()
    {
        var graph = FolderDependencyGraph.Build(Path.Combine(Programs.RepoRoot, "src", "ProcWatch"));

        // The whole graph (folder -> folders it uses), for `dotnet test --logger "console;verbosity=detailed"`.
        output.WriteLine(graph.Describe(verbose: false));
        Assert.Contains("Core", graph.Folders);
        var unexpected = new List<string>();
        foreach (List<string> cycle in graph.Cycles())
        {
            string key = string.Join(" <-> ", cycle);
            if (!AcceptedCycles.Contains(key))
                unexpected.Add(key);
        }
        Assert.True(unexpected.Count == 0,
            "folders of src/ProcWatch use each other (move the shared type down, to Core/ or the " +
            "lower folder, or invert the call with an interface in the lower folder):\n" + graph.DescribeCycles());
    }

    [Fact]
    public void TheCheckFindsACycleAndNamesItsFiles()
    {
        // A tree with Low -> High through a fully qualified name and High -> Low through a
        // using, plus a third folder that only uses Low (not part of any cycle).
        string root = Directory.CreateTempSubdirectory("procwatch-layers-").FullName;
        try
        {
            Write(root, "Low/Clock.cs", "namespace P.Low; internal static class Clock { public static long Now() => P.High.Watcher.Started; }");
            Write(root, "High/Watcher.cs", "using P.Low; namespace P.High; internal static class Watcher { public static long Started; static long Tick() => Clock.Now(); }");
            Write(root, "Side/User.cs", "namespace P.Side; internal static class User { static long T() => P.Low.Clock.Now(); }");

            var graph = FolderDependencyGraph.Build(root);

            List<string> cycle = Assert.Single(graph.Cycles());
            Assert.Equal(["High", "Low"], cycle);
            string text = graph.DescribeCycles();
            Assert.Contains("Low/Clock.cs uses Watcher", text);
            Assert.Contains("High/Watcher.cs uses Clock", text);
            Assert.DoesNotContain("Side", text);
            Assert.Equal([("High", "Low")], graph.MutualPairs());
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static void Write(string root, string relative, string text)
    {
        string path = Path.Combine(root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }
}
