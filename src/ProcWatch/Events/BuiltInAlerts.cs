namespace ProcWatch.Events;

/// <summary>
/// Alerts ProcWatch raises by itself, in the daemon and on the CLI with <c>--match</c> or
/// <c>--sigma</c>: an exec that rules could not fully see. Padding argv past the capture's
/// limit and running a program from a path too long to name are how rules are evaded, so
/// either is said loudly rather than silently not matching.
/// </summary>
internal static class BuiltInAlerts
{
    /// <summary>Rules saw only a prefix of this argv (beyond the kernel capture's limit, and /proc no longer had it).</summary>
    public static readonly AlertInfo ArgvTruncated = new("procwatch-argv-truncated", "medium", 47);

    /// <summary>The kernel ran a file whose path nothing could give (<c>procwatch.executable_unknown</c>): rules on the executable could not match.</summary>
    public static readonly AlertInfo ExecutableUnknown = new("procwatch-executable-unknown", "medium", 47);
}
