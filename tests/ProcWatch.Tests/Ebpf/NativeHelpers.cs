using Xunit;
using System.Collections.Concurrent;
using System.Diagnostics;

namespace ProcWatch.Tests.Ebpf;

/// <summary>Compiles the C helpers in tests/ProcWatch.Tests/Helpers with gcc, once per test run.</summary>
internal static class NativeHelpers
{
    private static readonly ConcurrentDictionary<string, Lazy<string>> s_built = new();
    private static readonly Lazy<string> s_outDir = new(() =>
        Directory.CreateTempSubdirectory("procwatch-helpers-").FullName);

    internal static string RepoRoot { get; } = FindRepoRoot();

    internal static string HelpersDir => Path.Combine(RepoRoot, "tests", "ProcWatch.Tests", "Helpers");

    /// <summary>Path of the compiled helper <paramref name="name"/> (Helpers/NAME.c).</summary>
    internal static string Get(string name, params string[] extraArgs) =>
        s_built.GetOrAdd(name, n => new Lazy<string>(() => Compile(n, extraArgs))).Value;

    private static string Compile(string name, string[] extraArgs)
    {
        string output = Path.Combine(s_outDir.Value, name);
        var psi = new ProcessStartInfo("gcc") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string a in new[] { "-O2", "-Wall", "-pthread", "-o", output, Path.Combine(HelpersDir, name + ".c") })
        {
            psi.ArgumentList.Add(a);
        }
        foreach (string a in extraArgs)
        {
            psi.ArgumentList.Add(a);
        }
        using var gcc = Process.Start(psi)!;
        string errors = gcc.StandardError.ReadToEnd();
        gcc.WaitForExit();
        if (gcc.ExitCode != 0)
        {
            throw new InvalidOperationException($"gcc failed for {name}.c: {errors}");
        }
        return output;
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ProcWatch.slnx")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("repository root (ProcWatch.slnx) not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Runs a program to completion and returns its exit code.</summary>
    internal static int Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var p = Process.Start(psi)!;
        p.StandardOutput.ReadToEnd();
        p.StandardError.ReadToEnd();
        p.WaitForExit();
        return p.ExitCode;
    }
}
