using System.Diagnostics;
using System.Text;

namespace ProcWatch.Tests.Package;

/// <summary>Runs <c>dotnet</c> commands (argv exact, never through a shell) and collects their output.</summary>
internal static class DotnetCli
{
    internal static (int ExitCode, string Output) Run(string workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string a in args)
            psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
            psi.Environment[key] = value;
        using var p = Process.Start(psi)!;
        var output = new StringBuilder();
        Task err = Task.Run(() => output.Append(p.StandardError.ReadToEnd()));
        string stdout = p.StandardOutput.ReadToEnd();
        err.Wait();
        p.WaitForExit();
        return (p.ExitCode, stdout + output);
    }

    /// <summary>Runs and fails the test with the whole output when the command fails.</summary>
    internal static string Ok(string workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        (int code, string output) = Run(workingDirectory, environment, args);
        if (code != 0)
            throw new Xunit.Sdk.XunitException($"dotnet {string.Join(' ', args)} exited {code}:\n{output}");
        return output;
    }
}
