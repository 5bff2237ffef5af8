using System.Runtime.InteropServices;
using ProcWatch.Interop;

namespace ProcWatch.Cli;

/// <summary>
/// The width of the terminal on standard output, asked of the kernel (TIOCGWINSZ) at start
/// and again on every SIGWINCH, so a resized window takes effect on the next line.
/// </summary>
internal sealed class TerminalWidth : IDisposable
{
    private const int Stdout = 1;
    private readonly PosixSignalRegistration _resized;
    private volatile int _columns;

    private TerminalWidth(int columns)
    {
        _columns = columns;
        _resized = PosixSignalRegistration.Create(PosixSignal.SIGWINCH, _ =>
        {
            if (Query() is { } now)
                _columns = now;
        });
    }

    public int Columns => _columns;

    /// <summary>The terminal's width tracker, or null when standard output is not a terminal (or reports no width).</summary>
    public static TerminalWidth? OfStdout() => Query() is { } columns ? new TerminalWidth(columns) : null;

    private static unsafe int? Query()
    {
        Libc.winsize size;
        return Libc.IoctlWinsize(Stdout, Libc.TIOCGWINSZ, &size) == 0 && size.ws_col > 0 ? size.ws_col : null;
    }

    public void Dispose() => _resized.Dispose();
}
