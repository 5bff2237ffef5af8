namespace ProcWatch.Tracking;

/// <summary>
/// Where the host's files are when ProcWatch runs in a container that shares the host's pid
/// namespace (the image's documented run): an exec's path names a file of the host's mount
/// namespace, and a process that already exited leaves no /proc/PID/exe to read it through;
/// pid 1's root (<c>/proc/1/root</c>) still reaches it. Null when pid 1 shares our mount
/// namespace (on the host, or in a container with its own pid namespace) or cannot be inspected.
/// </summary>
internal static class HostRoot
{
    private static readonly Lazy<string?> Root = new(Find);

    public static string? Path => Root.Value;

    private static string? Find()
    {
        try
        {
            string? ours = new FileInfo("/proc/self/ns/mnt").LinkTarget;
            string? init = new FileInfo("/proc/1/ns/mnt").LinkTarget;
            return ours is not null && init is not null && ours != init ? "/proc/1/root" : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
