using System.Buffers.Text;

namespace ProcWatch.Kernel.ProcFs;

/// <summary>The credentials in /proc/PID/status: real and effective user and group ids.</summary>
internal readonly record struct ProcStatus(uint RealUid, uint EffectiveUid, uint RealGid, uint EffectiveGid) : IProcFileParser<ProcStatus>
{
    public static bool TryRead(int pid, out ProcStatus status) => ParsedProcFile.TryReadOf(pid, "status"u8, out status);

    static int IProcFileParser<ProcStatus>.TypicalBytes => 2048;

    /// <summary>Parses the "Uid:" and "Gid:" lines (real, effective, saved, filesystem).</summary>
    public static bool TryParse(ReadOnlySpan<byte> content, out ProcStatus status)
    {
        status = default;
        bool haveUid = false, haveGid = false;
        uint ruid = 0, euid = 0, rgid = 0, egid = 0;
        foreach (Range range in content.Split((byte)'\n'))
        {
            ReadOnlySpan<byte> line = content[range];
            if (line.StartsWith("Uid:"u8))
                haveUid = TryParseIds(line[4..], out ruid, out euid);
            else if (line.StartsWith("Gid:"u8))
                haveGid = TryParseIds(line[4..], out rgid, out egid);
            if (haveUid && haveGid)
                break;
        }
        if (!haveUid || !haveGid)
            return false;
        status = new ProcStatus(ruid, euid, rgid, egid);
        return true;
    }

    /// <summary>The first two ids of a "Uid:"/"Gid:" line's values (real, effective).</summary>
    internal static bool TryParseIds(ReadOnlySpan<byte> values, out uint real, out uint effective)
    {
        real = effective = 0;
        int found = 0;
        foreach (Range range in values.Split((byte)'\t'))
        {
            ReadOnlySpan<byte> token = values[range].Trim((byte)' ');
            if (token.IsEmpty)
                continue;
            if (!Utf8Parser.TryParse(token, out uint id, out _))
                return false;
            if (found == 0) real = id;
            else effective = id;
            if (++found == 2)
                return true;
        }
        return false;
    }
}
