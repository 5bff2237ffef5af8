namespace ProcWatch.Kernel.Enforcement;

/// <summary>
/// The programs of this host a deny rule must not hit by accident: without them nobody can log
/// in or repair the host. A rule that would match one is refused at load unless it says
/// <see cref="DenyRule.AllowCritical"/>.
/// </summary>
internal static class CriticalPrograms
{
    private static readonly string[] Fixed =
    [
        "/sbin/init", "/usr/lib/systemd/systemd", "/lib/systemd/systemd",
        "/usr/sbin/sshd", "/usr/bin/sshd", "/usr/lib/openssh/sshd-session", "/usr/lib/openssh/sshd-auth",
        "/bin/sh", "/bin/bash", "/usr/bin/sudo", "/bin/login", "/usr/bin/login",
    ];

    private static readonly string[] LoaderGlobs =
    [
        "/lib64/ld-linux*.so*", "/lib/ld-linux*.so*", "/lib/*/ld-linux*.so*", "/usr/lib64/ld-linux*.so*", "/usr/lib/*/ld-linux*.so*", "/lib/ld-musl-*.so*",
    ];

    /// <summary>Each critical program found here: its path (as named) and identity; duplicates (links) kept once.</summary>
    internal static List<(string Path, FileIdentity Identity)> Find()
    {
        var found = new List<(string, FileIdentity)>();
        var seen = new HashSet<FileIdentity>();
        void Add(string path)
        {
            if (FileIdentity.TryStat(path, followLinks: true, out FileIdentity? id, out uint type) && type == FileIdentity.S_IFREG && seen.Add(id.Value))
                found.Add((path, id.Value));
        }
        Add("/proc/1/exe");
        Add("/proc/self/exe");
        foreach (string path in Fixed)
            Add(path);
        foreach (string shell in Shells())
            Add(shell);
        foreach (string glob in LoaderGlobs)
        {
            foreach (string path in PathGlob.Expand(glob, 64))
                Add(path);
        }
        return found;
    }

    private static IEnumerable<string> Shells()
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines("/etc/shells");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
        var shells = new List<string>();
        foreach (string line in lines)
        {
            string s = line.Trim();
            if (s.Length > 1 && s[0] == '/')
                shells.Add(s);
        }
        return shells;
    }
}
