using System.ComponentModel;
using System.Diagnostics;

namespace ProcWatch.Tests.Integration;

/// <summary>Runs a command as a child of the test process and waits for it.</summary>
internal static class Spawn
{
    public static (int Pid, int ExitCode) Run(string file, IEnumerable<string> args, string? workingDirectory = null)
    {
        using Process p = Start(file, args, workingDirectory);
        int pid = p.Id;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(30_000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} did not finish");
        }
        Task.WaitAll(stdout, stderr);
        return (pid, p.ExitCode);
    }

    public static Process Start(string file, IEnumerable<string> args, string? workingDirectory = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = workingDirectory ?? "",
        };
        foreach (string a in args) psi.ArgumentList.Add(a);
        // A file a test has just written can still be open for writing in a child another test
        // forked meanwhile (its copy of the descriptor lives until that child's exec closes it):
        // the exec then fails with ETXTBSY for a moment. Tests run in parallel, so retry briefly.
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return Process.Start(psi)!;
            }
            catch (Win32Exception e) when (e.NativeErrorCode == TextFileBusy && attempt < 100)
            {
                Thread.Sleep(20);
            }
        }
    }

    private const int TextFileBusy = 26; // ETXTBSY

    public static int Sh(string script, string? workingDirectory = null) => Run("/bin/sh", ["-c", script], workingDirectory).Pid;
}
