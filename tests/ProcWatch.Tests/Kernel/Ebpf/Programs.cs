using System.Diagnostics;

namespace ProcWatch.Tests.Kernel.Ebpf;

/// <summary>Starting programs with exact argv (ArgumentList: no shell-style splitting).</summary>
internal static class Programs
{
    internal static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>Runs a program to completion and returns its exit code.</summary>
    internal static int Run(string file, params string[] args)
    {
        using var p = Start(file, args);
        p.StandardOutput.ReadToEnd();
        p.StandardError.ReadToEnd();
        p.WaitForExit();
        return p.ExitCode;
    }

    internal static Process Start(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        return Process.Start(psi)!;
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
}
