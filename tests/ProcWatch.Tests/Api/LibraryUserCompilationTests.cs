using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace ProcWatch.Tests.Api;

/// <summary>
/// <see cref="LibraryUserTests"/> claims to use only what a library user can: this test
/// compiles that file as an assembly ProcWatch does not trust (no InternalsVisibleTo), so
/// any internal it touches is an error here (CS0122, CS1061) instead of passing unnoticed.
/// </summary>
public class LibraryUserCompilationTests
{
    [Fact]
    public void LibraryUserTests_CompilesWithoutAccessToInternals()
    {
        string root = RepositoryRoot();
        string file = Path.Combine(root, "tests", "ProcWatch.Tests", "Api", "LibraryUserTests.cs");
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        SyntaxTree[] trees =
        [
            CSharpSyntaxTree.ParseText(File.ReadAllText(file), parse, file),
            // The project's ImplicitUsings, and the two test-project helpers the file names.
            CSharpSyntaxTree.ParseText(
                "global using System; global using System.IO; global using System.Collections.Generic; " +
                "global using System.Linq; global using System.Net.Http; global using System.Threading; " +
                "global using System.Threading.Tasks;" +
                "namespace ProcWatch.Tests.Helpers { sealed class KernelFactAttribute : Xunit.FactAttribute { } }" +
                "namespace ProcWatch.Tests.Kernel.Ebpf { static class EbpfCollection { public const string Name = \"Ebpf\"; } }",
                parse, "<stubs>"),
        ];
        var references = new List<MetadataReference>();
        string tpa = (string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") ?? "";
        foreach (string path in tpa.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            if (Path.GetFileName(path) != "ProcWatch.Tests.dll") // the stubs stand in for its helpers
                references.Add(MetadataReference.CreateFromFile(path));
        }
        Assert.Contains(references, r => Path.GetFileName(r.Display) == "ProcWatch.dll");

        var compilation = CSharpCompilation.Create("LibraryUser", trees, references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        string[] errors = [.. compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString())];
        Assert.True(errors.Length == 0, string.Join('\n', errors));
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
}
