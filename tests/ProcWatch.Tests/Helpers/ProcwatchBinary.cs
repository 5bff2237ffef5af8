using System.Diagnostics;

namespace ProcWatch.Tests.Helpers;

/// <summary>
/// The one place tests find the procwatch executable: PROCWATCH_BIN (the NativeAOT binary, set
/// by test.sh) or `dotnet ProcWatch.Cli.dll` from this build (same configuration as the tests). <see cref="CopyForUser"/> makes a copy any
/// user can run (the worktree or the dotnet home may not be readable by an unprivileged user).
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static class ProcwatchBinary
{
    public static string? NativeBinary => Environment.GetEnvironmentVariable("PROCWATCH_BIN") is { Length: > 0 } bin ? bin : null;

    private static readonly Lazy<string[]> CommandPrefix = new(FindCommand);

    /// <summary>The program and leading arguments that start procwatch.</summary>
    public static IReadOnlyList<string> Command => CommandPrefix.Value;

    /// <summary>The command line prefix (shell-quoted) that runs procwatch from where the build put it.</summary>
    public static string ShellCommand() => string.Join(' ', CommandPrefix.Value.Select(Quote));

    private static string[] FindCommand()
    {
        if (NativeBinary is { } bin)
        {
            if (!File.Exists(bin))
                throw new FileNotFoundException($"PROCWATCH_BIN={bin} does not exist");
            return [Path.GetFullPath(bin)];
        }
        string dll = CliDll();
        if (!File.Exists(dll))
            throw new FileNotFoundException($"{dll} not built; build the solution or set PROCWATCH_BIN");
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
        return [dotnet, dll];
    }

    /// <summary>Copies procwatch into <paramref name="directory"/> (mode 0755) and returns the shell command that runs the copy.</summary>
    public static string CopyForUser(string directory)
    {
        Directory.CreateDirectory(directory);
        File.SetUnixFileMode(directory, (UnixFileMode)0b111_101_101);
        if (NativeBinary is { } bin)
        {
            string target = Path.Combine(directory, "procwatch");
            File.Copy(bin, target, overwrite: true);
            File.SetUnixFileMode(target, (UnixFileMode)0b111_101_101);
            return Quote(target);
        }
        string source = Path.GetDirectoryName(CliDll())!;
        foreach (string file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(directory, Path.GetRelativePath(source, file));
            string targetDirectory = Path.GetDirectoryName(target)!;
            if (!Directory.Exists(targetDirectory))
            {
                Directory.CreateDirectory(targetDirectory);
                File.SetUnixFileMode(targetDirectory, (UnixFileMode)0b111_101_101);
            }
            File.Copy(file, target, overwrite: true);
            File.SetUnixFileMode(target, (UnixFileMode)0b110_100_100);
        }
        return $"env DOTNET_CLI_HOME={Quote(directory)} HOME={Quote(directory)} dotnet {Quote(Path.Combine(directory, "ProcWatch.Cli.dll"))}";
    }

    private static string CliDll()
    {
        // tests/ProcWatch.Tests/bin/<Config>/net10.0/ → src/ProcWatch.Cli/bin/<Config>/net10.0/ProcWatch.Cli.dll
        string testBin = AppContext.BaseDirectory.TrimEnd('/');
        string framework = Path.GetFileName(testBin);
        string configuration = Path.GetFileName(Path.GetDirectoryName(testBin)!);
        string root = testBin;
        while (!File.Exists(Path.Combine(root, "ProcWatch.slnx")))
            root = Path.GetDirectoryName(root) ?? throw new DirectoryNotFoundException($"no ProcWatch.slnx above {AppContext.BaseDirectory}; set PROCWATCH_BIN");
        return Path.Combine(root, "src", "ProcWatch.Cli", "bin", configuration, framework, "ProcWatch.Cli.dll");
    }

    public static string Quote(string s) => "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>Runs a shell script; returns its exit code, or throws when it outlives <paramref name="timeout"/>.</summary>
    public static int RunShell(string script, TimeSpan timeout)
    {
        using Process shell = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", script]) { UseShellExecute = false })!;
        if (!shell.WaitForExit(timeout))
        {
            shell.Kill(entireProcessTree: true);
            throw new TimeoutException($"script did not finish within {timeout}");
        }
        return shell.ExitCode;
    }
}
