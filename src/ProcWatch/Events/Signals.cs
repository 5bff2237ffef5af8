namespace ProcWatch.Events;

/// <summary>Linux signal names (x86-64 and arm64 share these numbers).</summary>
internal static class Signals
{
    private static readonly string?[] Names =
    [
        null, "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL",
        "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT",
        "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF",
        "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS",
    ];

    /// <summary>"SIGSEGV" for 11; "SIGRTMIN+n" for real-time signals; "SIG" + number otherwise.</summary>
    public static string Name(int signal) =>
        signal > 0 && signal < Names.Length ? Names[signal]!
        : signal >= 34 && signal <= 64 ? (signal == 34 ? "SIGRTMIN" : "SIGRTMIN+" + (signal - 34).ToString(System.Globalization.CultureInfo.InvariantCulture))
        : "SIG" + signal.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
