using System.Buffers.Text;
using ProcWatch.Kernel.ProcFs;

namespace ProcWatch.Kernel.Enforcement;

/// <summary>
/// The thread whose exec waits for a fanotify permission answer, from /proc/TID/status: its
/// process, its parent and its credentials. These are the credentials it calls execve with:
/// a set-user-ID program's new effective user is not applied yet (the kernel does that after
/// the file is opened), so a <c>user:</c> rule sees the caller's users here; the tp_btf
/// backstop judges the credentials the program runs with (docs/prevention.md).
/// Safe to read while the exec waits: status takes no lock the exec holds (the thread is
/// blocked in the open, before <c>begin_new_exec</c>).
/// </summary>
internal readonly record struct ExecCaller(int Tgid, int ParentPid, uint Uid, uint EffectiveUid, uint Gid, uint EffectiveGid) : IProcFileParser<ExecCaller>
{
    static int IProcFileParser<ExecCaller>.TypicalBytes => 2048;

    /// <summary>/proc/<paramref name="tid"/>/status (a thread id names its thread there too).</summary>
    public static bool TryRead(int tid, out ExecCaller caller) => ParsedProcFile.TryReadOf(tid, "status"u8, out caller);

    public static bool TryParse(ReadOnlySpan<byte> content, out ExecCaller caller)
    {
        caller = default;
        int tgid = -1, ppid = -1;
        uint ruid = 0, euid = 0, rgid = 0, egid = 0;
        bool uids = false, gids = false;
        foreach (Range range in content.Split((byte)'\n'))
        {
            ReadOnlySpan<byte> line = content[range];
            if (line.StartsWith("Tgid:"u8))
                tgid = Number(line[5..]);
            else if (line.StartsWith("PPid:"u8))
                ppid = Number(line[5..]);
            else if (line.StartsWith("Uid:"u8))
                uids = ProcStatus.TryParseIds(line[4..], out ruid, out euid);
            else if (line.StartsWith("Gid:"u8))
            {
                gids = ProcStatus.TryParseIds(line[4..], out rgid, out egid);
                break; // after Tgid, PPid and Uid in every kernel's layout
            }
        }
        if (tgid <= 0 || ppid < 0 || !uids || !gids)
            return false;
        caller = new ExecCaller(tgid, ppid, ruid, euid, rgid, egid);
        return true;
    }

    private static int Number(ReadOnlySpan<byte> value) =>
        Utf8Parser.TryParse(value.Trim("\t "u8), out int n, out _) ? n : -1;
}
