using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace ProcWatch.Tests.Helpers;

/// <summary>
/// Compiles the tiny C programs next to this file (copied to the test output) with gcc, once
/// per source content; the binaries live in a temp directory shared by test runs.
/// </summary>
internal static class NativeHelpers
{
    private static readonly Lock Gate = new();
    private static readonly Dictionary<string, string> Built = [];

    public static string SourcePath(string fileName) => Path.Combine(AppContext.BaseDirectory, "Helpers", fileName);

    /// <summary>The path of the compiled <paramref name="fileName"/> (e.g. "layout.c").</summary>
    public static string Build(string fileName, string extraArgs = "")
    {
        lock (Gate)
        {
            if (Built.TryGetValue(fileName, out string? cached))
                return cached;
            string source = SourcePath(fileName);
            string hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(File.ReadAllText(source) + extraArgs)))[..16];
            string dir = Path.Combine(Path.GetTempPath(), "procwatch-test-helpers");
            Directory.CreateDirectory(dir);
            string binary = Path.Combine(dir, $"{Path.GetFileNameWithoutExtension(fileName)}-{hash}");
            if (!File.Exists(binary))
            {
                // Build under a unique name, then rename: concurrent test runs never see half a binary.
                string temp = $"{binary}.{Environment.ProcessId}.tmp";
                (int code, string output) = Run("gcc", $"-O1 -Wall -o {temp} {source} {extraArgs}");
                if (code != 0)
                    throw new InvalidOperationException($"gcc failed for {fileName} (scripts/setup.sh installs gcc, libc6-dev, linux-libc-dev):\n{output}");
                File.Move(temp, binary, overwrite: true);
            }
            Built[fileName] = binary;
            return binary;
        }
    }

    /// <summary>Runs a program to completion; returns its exit code and stdout+stderr.</summary>
    public static (int Code, string Output) Run(string program, string arguments)
    {
        var psi = new ProcessStartInfo(program, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using Process p = Process.Start(psi)!;
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout + stderr.Result);
    }
}
