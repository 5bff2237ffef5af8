using System.Runtime.InteropServices;

namespace ProcWatch.Interop;

internal static partial class Libc
{
    internal const nuint TIOCGWINSZ = 0x5413;

    /// <summary>The kernel's struct winsize (asm-generic/termios.h).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct winsize
    {
        public ushort ws_row;
        public ushort ws_col;
        public ushort ws_xpixel;
        public ushort ws_ypixel;
    }

    [LibraryImport(Name, EntryPoint = "ioctl", SetLastError = true)]
    internal static unsafe partial int IoctlWinsize(int fd, nuint request, winsize* size);

    [LibraryImport(Name, EntryPoint = "isatty")]
    internal static partial int IsATty(int fd);
}
