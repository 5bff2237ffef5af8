namespace ProcWatch.Kernel;

/// <summary>
/// Whether this process runs in the initial user and pid namespaces (the host) or in a
/// container's. The kernel gives the initial namespaces fixed inode numbers
/// (PROC_USER_INIT_INO, PROC_PID_INIT_INO in include/linux/proc_ns.h), visible in the
/// /proc/self/ns links ("pid:[4026531836]").
/// </summary>
internal static class Namespaces
{
    internal const ulong PROC_USER_INIT_INO = 0xEFFFFFFD;
    internal const ulong PROC_PID_INIT_INO = 0xEFFFFFFC;

    /// <summary>True in the host's user namespace; null when /proc/self/ns cannot be read.</summary>
    public static bool? InInitialUserNamespace => IsInode("/proc/self/ns/user", PROC_USER_INIT_INO);

    /// <summary>True in the host's pid namespace; null when /proc/self/ns cannot be read.</summary>
    public static bool? InInitialPidNamespace => IsInode("/proc/self/ns/pid", PROC_PID_INIT_INO);

    /// <summary>A description of the non-initial namespaces this process is in ("user and pid"), or null on the host.</summary>
    public static string? DescribeNonInitial()
    {
        bool user = InInitialUserNamespace == false;
        bool pid = InInitialPidNamespace == false;
        return (user, pid) switch
        {
            (true, true) => "user and pid",
            (true, false) => "user",
            (false, true) => "pid",
            _ => null,
        };
    }

    private static bool? IsInode(string link, ulong expected)
    {
        string? target;
        try
        {
            target = new FileInfo(link).LinkTarget;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        return TryParseInode(target, out ulong inode) ? inode == expected : null;
    }

    /// <summary>Parses "pid:[4026531836]".</summary>
    internal static bool TryParseInode(string? target, out ulong inode)
    {
        inode = 0;
        if (target is null)
            return false;
        int open = target.IndexOf('[', StringComparison.Ordinal);
        int close = target.LastIndexOf(']');
        return open >= 0 && close > open + 1
            && ulong.TryParse(target.AsSpan(open + 1, close - open - 1), System.Globalization.NumberStyles.None,
                System.Globalization.CultureInfo.InvariantCulture, out inode);
    }
}
