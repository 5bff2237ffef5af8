using System.Diagnostics;
using System.Text;

namespace ProcWatch.Tests.Packaging;

/// <summary>Runs a program (argv exact, never a shell) with standard input closed, and collects what it prints.</summary>
internal static class Commands
{
    public static (int Code, string Output) Run(string file, IEnumerable<string> args, TimeSpan timeout,
        IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true, // closed below: a prompt fails instead of waiting
            WorkingDirectory = workingDirectory ?? Kernel.Ebpf.Programs.RepoRoot,
        };
        foreach (string a in args)
            psi.ArgumentList.Add(a);
        foreach ((string key, string value) in environment ?? new Dictionary<string, string>())
            psi.Environment[key] = value;
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var output = new StringBuilder();
        var lockObject = new object();
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (lockObject) output.Append(e.Data).Append('\n'); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (lockObject) output.Append(e.Data).Append('\n'); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
            throw new Xunit.Sdk.XunitException($"{file} {string.Join(' ', args)} did not finish within {timeout}:\n{output}");
        }
        p.WaitForExit();
        lock (lockObject)
            return (p.ExitCode, output.ToString());
    }

    /// <summary>Runs and fails the test with the output when the program fails.</summary>
    public static string Ok(string file, IEnumerable<string> args, TimeSpan timeout,
        IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        (int code, string output) = Run(file, args, timeout, environment, workingDirectory);
        if (code != 0)
            throw new Xunit.Sdk.XunitException($"{file} {string.Join(' ', args)} exited {code}:\n{output}");
        return output;
    }
}
