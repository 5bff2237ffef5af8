using System.Globalization;

namespace ProcWatch.Kernel.ProcFs;

/// <summary>Names a controlling terminal from stat's tty_nr (devices.txt numbering), e.g. "pts/3", "tty1", "ttyS0".</summary>
internal static class TtyNames
{
    private const int PtsCacheSize = 256;
    private static readonly string?[] s_pts = new string?[PtsCacheSize];

    /// <summary>Null when the process has no controlling terminal (tty_nr 0).</summary>
    public static string? FromTtyNr(int ttyNr)
    {
        if (ttyNr == 0)
            return null;
        int major = (ttyNr >> 8) & 0xfff;
        int minor = (ttyNr & 0xff) | ((ttyNr >> 12) & 0xfff00);
        if (major is >= 136 and <= 143)
        {
            int n = (major - 136) * 256 + minor;
            if (n < PtsCacheSize)
                return s_pts[n] ??= "pts/" + n.ToString(CultureInfo.InvariantCulture);
            return "pts/" + n.ToString(CultureInfo.InvariantCulture);
        }
        return (major, minor) switch
        {
            (4, < 64) => "tty" + minor.ToString(CultureInfo.InvariantCulture),
            (4, _) => "ttyS" + (minor - 64).ToString(CultureInfo.InvariantCulture),
            (5, 0) => "tty",
            (5, 1) => "console",
            (5, 2) => "ptmx",
            _ => major.ToString(CultureInfo.InvariantCulture) + ":" + minor.ToString(CultureInfo.InvariantCulture),
        };
    }
}
