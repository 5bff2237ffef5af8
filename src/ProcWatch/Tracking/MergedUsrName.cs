namespace ProcWatch.Tracking;

/// <summary>
/// On a merged-/usr system /bin is a link to usr/bin (and /sbin, /lib likewise), so an exec of
/// <c>/bin/true</c> reports the executable as <c>/usr/bin/true</c>: the exec'd name and the
/// executable differ only by that link. Such a name is the executable itself (a <c>#!</c> script
/// cannot be its own interpreter), which this says from the two strings alone: no statx of the
/// name on every such exec (2–3 µs of path walk each, 5 % of procwatch's CPU in an exec storm).
/// The links are read once, in procwatch's own mount namespace; any other difference (a link
/// to another name) still goes to the statx. Limit, as before this shortcut (the statx too
/// resolves in procwatch's namespace): in a container or chroot whose /bin is a real
/// directory, a script /bin/X whose #! names /usr/bin/X is not recognised as a script.
/// </summary>
internal static class MergedUsrName
{
    private static readonly string[] LinkedDirectories = LinksIntoUsr("/bin", "/sbin", "/lib", "/lib64");

    /// <summary>True when <paramref name="name"/> is <paramref name="executable"/> through one of the /usr links.</summary>
    internal static bool Names(string name, string executable)
    {
        foreach (string directory in LinkedDirectories)
        {
            // name = "/bin/X" and executable = "/usr/bin/X"
            if (name.Length + 4 == executable.Length
                && name.StartsWith(directory, StringComparison.Ordinal)
                && name.Length > directory.Length && name[directory.Length] == '/'
                && executable.StartsWith("/usr", StringComparison.Ordinal)
                && executable.AsSpan(4).SequenceEqual(name))
                return true;
        }
        return false;
    }

    private static string[] LinksIntoUsr(params string[] directories)
    {
        var linked = new List<string>(directories.Length);
        foreach (string directory in directories)
        {
            string? target = null;
            try
            {
                target = new FileInfo(directory).LinkTarget;
            }
            catch (IOException)
            {
                // Unreadable: not counted as linked (every such exec keeps its statx).
            }
            catch (UnauthorizedAccessException)
            {
            }
            if (target == "usr" + directory || target == "/usr" + directory)
                linked.Add(directory);
        }
        return linked.ToArray();
    }
}
