using System.Diagnostics;
using Xunit;

namespace ProcWatch.Tests.Files;

/// <summary>
/// The stage of issue 20's file attacks: a fresh directory with /tmp's mode (1777, root's,
/// sticky), where an unprivileged user (uid 65534, run through setpriv with no groups) plants
/// real links and files, and a victim: a root-only file elsewhere that procwatch, as root, must
/// never change. Removed at the end.
/// </summary>
internal sealed class AttackerScene : IDisposable
{
    public const int AttackerUid = 65534;
    public const string VictimText = "precious root data\n";

    public AttackerScene()
    {
        Root = Directory.CreateTempSubdirectory("procwatch-attack-").FullName;
        Shared = Path.Combine(Root, "shared");
        Directory.CreateDirectory(Shared);
        File.SetUnixFileMode(Shared, (UnixFileMode)0b1_111_111_111); // 1777, like /tmp
        VictimDirectory = Path.Combine(Root, "root-only");
        Directory.CreateDirectory(VictimDirectory);
        Victim = Path.Combine(VictimDirectory, "important");
        File.WriteAllText(Victim, VictimText);
        File.SetUnixFileMode(Victim, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        // The attacker reaches the shared directory (Root is 0700 from CreateTempSubdirectory).
        File.SetUnixFileMode(Root, (UnixFileMode)0b111_101_101);
    }

    /// <summary>Holds everything; removed at the end.</summary>
    public string Root { get; }

    /// <summary>World-writable and sticky, root's: where the attacker plants things.</summary>
    public string Shared { get; }

    public string VictimDirectory { get; }

    /// <summary>A root file the attacker wants written: it must stay <see cref="VictimText"/>.</summary>
    public string Victim { get; }

    public string InShared(string name) => Path.Combine(Shared, name);

    /// <summary>A path in root's own 0700 directory (the parts of a configuration the attacker cannot touch).</summary>
    public string Private(string name)
    {
        string dir = Path.Combine(Root, "private");
        Directory.CreateDirectory(dir);
        File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return Path.Combine(dir, name);
    }

    /// <summary>Writes a root-only file (a configuration) and returns its path.</summary>
    public string Write(string name, string text)
    {
        string path = Private(name);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>Runs <paramref name="script"/> with sh as the unprivileged attacker, in <see cref="Shared"/>; it must succeed.</summary>
    public void AsAttacker(string script)
    {
        var psi = new ProcessStartInfo("setpriv")
        {
            WorkingDirectory = Shared,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        foreach (string a in new[] { $"--reuid={AttackerUid}", $"--regid={AttackerUid}", "--clear-groups", "--", "/bin/sh", "-c", script })
            psi.ArgumentList.Add(a);
        using Process p = Process.Start(psi)!;
        string stderr = p.StandardError.ReadToEnd();
        p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(30_000), "the attacker's script hung");
        Assert.True(p.ExitCode == 0, $"the attacker's script failed ({p.ExitCode}): {script}\n{stderr}");
    }

    /// <summary>The victim is byte for byte what it was.</summary>
    public void AssertVictimUntouched()
    {
        Assert.Equal(VictimText, File.ReadAllText(Victim));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(Victim));
    }

    public static UnixFileMode Mode(string path) => File.GetUnixFileMode(path) & (UnixFileMode)0b111_111_111_111;

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
    }
}
