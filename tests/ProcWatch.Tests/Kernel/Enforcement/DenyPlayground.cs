using ProcWatch.Tests.Helpers;

namespace ProcWatch.Tests.Kernel.Enforcement;

/// <summary>
/// A unique temp directory for one deny test: <c>Denied</c> (what its rules name), <c>Allowed</c>
/// (outside every rule). Deleted on dispose. Rules in tests never name anything else: other
/// engineers' tests exec concurrently on this machine.
/// </summary>
internal sealed class DenyPlayground : IDisposable
{
    public DenyPlayground()
    {
        Root = Path.Combine(Path.GetTempPath(), "pwdeny-" + Guid.NewGuid().ToString("N")[..12]);
        Denied = Path.Combine(Root, "denied");
        Allowed = Path.Combine(Root, "allowed");
        Directory.CreateDirectory(Denied);
        Directory.CreateDirectory(Allowed);
    }

    public string Root { get; }
    public string Denied { get; }
    public string Allowed { get; }

    /// <summary>A copy of the marker program (creates argv[1] when it is absolute, lives 1 ms) at <paramref name="path"/>.</summary>
    public string Program(string path) => Helper("make_marker.c", path);

    /// <summary>This test's own copy of a native helper at <paramref name="path"/> (a rule can name it without touching other tests).</summary>
    public string Helper(string source, string path)
    {
        File.Copy(NativeHelpers.Build(source), path, overwrite: true);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
