using System.Runtime.InteropServices;
using ProcWatch.Core;
using ProcWatch.Interop;

namespace ProcWatch.Kernel.Ebpf;

/// <summary>
/// Keeps libbpf quiet: by default it prints warnings (and whole verifier logs) to stderr,
/// which would interleave with procwatch's output. Instead the last warning is kept so a
/// failure can be explained in one line.
/// </summary>
internal static unsafe class LibbpfLog
{
    private static readonly Lock s_gate = new();
    private static bool s_installed;
    private static string? s_lastWarning;

    /// <summary>Installs the callback once per process. libbpf must already be loadable.</summary>
    internal static void Install()
    {
        lock (s_gate)
        {
            if (s_installed)
            {
                return;
            }
            Libbpf.libbpf_set_print(&OnPrint);
            s_installed = true;
        }
    }

    /// <summary>Forgets the last warning, so that <see cref="LastWarning"/> refers to what comes next.</summary>
    internal static void Clear() => Volatile.Write(ref s_lastWarning, null);

    /// <summary>The last warning libbpf printed since <see cref="Clear"/>, one line, or null.</summary>
    internal static string? LastWarning => Volatile.Read(ref s_lastWarning);

    /// <summary>
    /// <see cref="LastWarning"/> when it adds to the errno: libbpf's closing summaries
    /// ("failed to load object", the "permission error while running as root" guess) do not.
    /// </summary>
    internal static string? LastUsefulWarning => LastWarning is { } last
        && !last.Contains("permission error while running as root", StringComparison.Ordinal)
        && !last.StartsWith("failed to load object", StringComparison.Ordinal) ? last : null;

    [UnmanagedCallersOnly]
    private static int OnPrint(int level, byte* format, nint args)
    {
        if (level != Libbpf.LIBBPF_WARN || format == null)
        {
            return 0;
        }
        const int Capacity = 512;
        byte* buffer = stackalloc byte[Capacity];
        int n = Libc.VsnPrintf(buffer, Capacity, format, args);
        if (n <= 0)
        {
            return 0;
        }
        string line = FailureText.OneLine(System.Text.Encoding.UTF8.GetString(buffer, Math.Min(n, Capacity - 1)));
        if (line.StartsWith("libbpf: ", StringComparison.Ordinal))
            line = line["libbpf: ".Length..];
        // The verifier log arrives as many warnings; its framing lines say nothing useful.
        if (line.Length != 0 && !line.StartsWith("-- ", StringComparison.Ordinal))
        {
            Volatile.Write(ref s_lastWarning, line);
        }
        return 0;
    }
}
