using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ProcWatch.Tests.Architecture;

/// <summary>
/// Which folder of a source tree uses types of which other folder, resolved by the C# compiler
/// (Roslyn's semantic model), not by namespace text: every name in a file is bound, and a name
/// that binds to a type (or to a member of a type) declared in another folder is an edge from
/// this file's folder to that one. Folders are the directories relative to the root
/// ("Kernel/Connector"); files directly in the root belong to "(root)".
/// </summary>
internal sealed class FolderDependencyGraph
{
    /// <summary>from folder -> to folder -> "file uses Type" evidence (sorted, unique).</summary>
    public SortedDictionary<string, SortedDictionary<string, SortedSet<string>>> Edges { get; } =
        new(StringComparer.Ordinal);

    public SortedSet<string> Folders { get; } = new(StringComparer.Ordinal);

    public static FolderDependencyGraph Build(string root)
    {
        root = Path.GetFullPath(root);
        var parse = new CSharpParseOptions(LanguageVersion.Preview);
        var trees = new List<SyntaxTree>();
        foreach (string file in Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories))
        {
            string rel = Path.GetRelativePath(root, file);
            if (rel.StartsWith("obj" + Path.DirectorySeparatorChar, StringComparison.Ordinal)
                || rel.StartsWith("bin" + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                continue;
            trees.Add(CSharpSyntaxTree.ParseText(File.ReadAllText(file), parse, file));
        }
        // The project's ImplicitUsings, which the SDK would generate.
        trees.Add(CSharpSyntaxTree.ParseText(
            "global using System; global using System.IO; global using System.Collections.Generic; " +
            "global using System.Linq; global using System.Net.Http; global using System.Threading; " +
            "global using System.Threading.Tasks;", parse, "<implicit-usings>"));

        var references = new List<MetadataReference>();
        string tpa = (string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") ?? "";
        foreach (string path in tpa.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            references.Add(MetadataReference.CreateFromFile(path));

        var compilation = CSharpCompilation.Create("FolderGraph", trees, references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true));

        var graph = new FolderDependencyGraph();
        foreach (SyntaxTree tree in trees)
        {
            if (tree.FilePath == "<implicit-usings>")
                continue;
            string fromFolder = FolderOf(root, tree.FilePath);
            string fromFile = Path.GetRelativePath(root, tree.FilePath);
            graph.Folders.Add(fromFolder);
            SemanticModel model = compilation.GetSemanticModel(tree);
            foreach (SyntaxNode node in tree.GetRoot().DescendantNodes())
            {
                if (node is not SimpleNameSyntax)
                    continue;
                SymbolInfo info = model.GetSymbolInfo(node);
                if (info.Symbol is { } symbol)
                    graph.AddUse(root, fromFolder, fromFile, symbol);
                foreach (ISymbol candidate in info.CandidateSymbols)
                    graph.AddUse(root, fromFolder, fromFile, candidate);
            }
        }
        return graph;
    }

    private void AddUse(string root, string fromFolder, string fromFile, ISymbol symbol)
    {
        INamedTypeSymbol? type = symbol as INamedTypeSymbol ?? symbol.ContainingType;
        if (symbol is IMethodSymbol { ReducedFrom: { } reduced })
            type = reduced.ContainingType;
        if (type is null)
            return;
        type = type.OriginalDefinition;
        foreach (Location location in type.Locations)
        {
            if (!location.IsInSource || location.SourceTree is not { } declTree || declTree.FilePath == "<implicit-usings>")
                continue;
            string toFolder = FolderOf(root, declTree.FilePath);
            if (toFolder == fromFolder)
                continue;
            if (!Edges.TryGetValue(fromFolder, out var targets))
                Edges[fromFolder] = targets = new(StringComparer.Ordinal);
            if (!targets.TryGetValue(toFolder, out var evidence))
                targets[toFolder] = evidence = new(StringComparer.Ordinal);
            evidence.Add($"{fromFile} uses {type.Name}");
        }
    }

    private static string FolderOf(string root, string file)
    {
        string? dir = Path.GetDirectoryName(Path.GetRelativePath(root, file));
        return string.IsNullOrEmpty(dir) ? "(root)" : dir.Replace(Path.DirectorySeparatorChar, '/');
    }

    /// <summary>Strongly connected components with more than one folder: each is a cycle.</summary>
    public List<List<string>> Cycles()
    {
        // Tarjan's algorithm over the folder graph.
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var low = new Dictionary<string, int>(StringComparer.Ordinal);
        var onStack = new HashSet<string>(StringComparer.Ordinal);
        var stack = new Stack<string>();
        var result = new List<List<string>>();
        int next = 0;

        void Visit(string v)
        {
            index[v] = low[v] = next++;
            stack.Push(v);
            onStack.Add(v);
            if (Edges.TryGetValue(v, out var targets))
            {
                foreach (string w in targets.Keys)
                {
                    if (!index.ContainsKey(w))
                    {
                        Visit(w);
                        low[v] = Math.Min(low[v], low[w]);
                    }
                    else if (onStack.Contains(w))
                    {
                        low[v] = Math.Min(low[v], index[w]);
                    }
                }
            }
            if (low[v] != index[v])
                return;
            var component = new List<string>();
            string x;
            do
            {
                x = stack.Pop();
                onStack.Remove(x);
                component.Add(x);
            } while (x != v);
            if (component.Count > 1)
            {
                component.Sort(StringComparer.Ordinal);
                result.Add(component);
            }
        }

        foreach (string folder in Folders)
            if (!index.ContainsKey(folder))
                Visit(folder);
        return result;
    }

    /// <summary>Folder pairs that use each other directly (A -> B and B -> A).</summary>
    public List<(string A, string B)> MutualPairs()
    {
        var pairs = new List<(string, string)>();
        foreach (var (from, targets) in Edges)
            foreach (string to in targets.Keys)
                if (string.CompareOrdinal(from, to) < 0
                    && Edges.TryGetValue(to, out var back) && back.ContainsKey(from))
                    pairs.Add((from, to));
        return pairs;
    }

    /// <summary>Each cycle with every edge inside it and the files that make the edge.</summary>
    public string DescribeCycles(int filesPerEdge = 6)
    {
        var text = new StringBuilder();
        foreach (List<string> component in Cycles())
        {
            text.Append("cycle: ").AppendJoin(" <-> ", component).AppendLine();
            var members = new HashSet<string>(component, StringComparer.Ordinal);
            List<string> loop = ShortestLoop(members);
            text.Append(" shortest loop: ").AppendJoin(" -> ", loop).AppendLine();
            for (int i = 0; i + 1 < loop.Count; i++)
            {
                text.Append("  ").Append(loop[i]).Append(" -> ").Append(loop[i + 1]).Append(':').AppendLine();
                foreach (string line in Edges[loop[i]][loop[i + 1]].Take(filesPerEdge))
                    text.Append("    ").AppendLine(line);
            }
            text.AppendLine(" every edge inside the cycle:");
            foreach (string from in component)
            {
                if (!Edges.TryGetValue(from, out var targets))
                    continue;
                foreach (var (to, evidence) in targets)
                {
                    if (!members.Contains(to))
                        continue;
                    text.Append("  ").Append(from).Append(" -> ").Append(to).Append(':').AppendLine();
                    foreach (string line in evidence.Take(filesPerEdge))
                        text.Append("    ").AppendLine(line);
                    if (evidence.Count > filesPerEdge)
                        text.Append("    ... ").Append(evidence.Count - filesPerEdge).AppendLine(" more");
                }
            }
        }
        return text.ToString();
    }

    /// <summary>The shortest closed walk inside one cycle, first folder repeated at the end.</summary>
    private List<string> ShortestLoop(HashSet<string> members)
    {
        List<string>? best = null;
        foreach (string start in members.Order(StringComparer.Ordinal))
        {
            // Breadth-first from start, inside the component, back to start.
            var previous = new Dictionary<string, string>(StringComparer.Ordinal);
            var queue = new Queue<string>();
            queue.Enqueue(start);
            bool closed = false;
            string last = start;
            while (queue.Count > 0 && !closed)
            {
                string v = queue.Dequeue();
                if (!Edges.TryGetValue(v, out var targets))
                    continue;
                foreach (string w in targets.Keys)
                {
                    if (!members.Contains(w))
                        continue;
                    if (w == start)
                    {
                        last = v;
                        closed = true;
                        break;
                    }
                    if (previous.TryAdd(w, v))
                        queue.Enqueue(w);
                }
            }
            if (!closed)
                continue;
            var path = new List<string> { start };
            for (string v = last; v != start; v = previous[v])
                path.Insert(1, v);
            path.Add(start);
            if (best is null || path.Count < best.Count)
                best = path;
        }
        return best ?? [];
    }

    public string Describe(bool verbose)
    {
        var text = new StringBuilder();
        foreach (var (from, targets) in Edges)
        {
            text.Append(from).Append(" -> ").AppendJoin(", ", targets.Keys).AppendLine();
        }
        text.AppendLine();
        text.Append("mutual pairs: ");
        foreach (var (a, b) in MutualPairs())
            text.Append(a).Append(" <-> ").Append(b).Append("; ");
        text.AppendLine().AppendLine();
        text.Append(DescribeCycles(verbose ? 1000 : 4));
        return text.ToString();
    }
}
