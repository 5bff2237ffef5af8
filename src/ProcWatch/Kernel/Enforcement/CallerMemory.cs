using System.Globalization;
using ProcWatch.Kernel.ProcFs;

namespace ProcWatch.Kernel.Enforcement;

/// <summary>
/// Which pages of a waiting exec's caller the gate may read without risk of blocking, from
/// /proc/TID/maps: anonymous memory (the stack, where argv normally is) and files of the
/// local filesystems the gate marks. A page of any other file (FUSE, NFS, a filesystem mounted
/// after the start) could wait for a daemon or server that never answers, while every exec
/// on the host waits for the gate: argv is then reported unknown (<see cref="Skipped"/>).
/// Where unprivileged users may register userfaultfd for kernel faults
/// (<c>vm.unprivileged_userfaultfd = 1</c>), anonymous memory can block too, and nothing is read.
/// The gate's thread only (one caller at a time).
/// </summary>
internal sealed class CallerMemory(HashSet<string> localDevices)
{
    private const int MaxAreas = 4096;
    private readonly List<(ulong Start, ulong End, bool Safe)> _areas = new(64);
    private readonly bool _anonymousMayBlock = ReadsOne("/proc/sys/vm/unprivileged_userfaultfd");
    private long _skipped;

    /// <summary>Reads of a waiting caller's memory not done because the page could block (its argv or path is then cut or unknown).</summary>
    internal long Skipped => Interlocked.Read(ref _skipped);

    /// <summary>Reads <paramref name="tid"/>'s maps; false when unreadable.</summary>
    internal bool Load(int tid)
    {
        _areas.Clear();
        Span<byte> path = stackalloc byte[ProcPath.MaxLength];
        ProcPath.Format(path, tid, "maps"u8);
        Span<byte> initial = stackalloc byte[8192];
        if (!ProcFile.TryRead(Interop.Libc.AT_FDCWD, path, initial, out ProcFile file, out _))
            return false;
        using (file)
        {
            ReadOnlySpan<byte> content = file.Content;
            foreach (Range range in content.Split((byte)'\n'))
            {
                if (_areas.Count >= MaxAreas)
                    break;
                if (TryParseArea(content[range], out ulong start, out ulong end, out string device, out bool anonymous))
                    _areas.Add((start, end, anonymous ? !_anonymousMayBlock : localDevices.Contains(device)));
            }
        }
        return true;
    }

    /// <summary>Whether the page at <paramref name="address"/> can be read without waiting on anyone; counts a refusal.</summary>
    internal bool IsSafe(ulong address)
    {
        foreach ((ulong start, ulong end, bool safe) in _areas)
        {
            if (address >= start && address < end)
            {
                if (!safe)
                    Interlocked.Increment(ref _skipped);
                return safe;
            }
        }
        return false; // unmapped: the read would fail anyway
    }

    /// <summary>"START-END PERMS OFFSET MAJ:MIN INODE [PATH]" (hex addresses and device, decimal inode).</summary>
    internal static bool TryParseArea(ReadOnlySpan<byte> line, out ulong start, out ulong end, out string device, out bool anonymous)
    {
        start = end = 0;
        device = "";
        anonymous = false;
        Span<Range> fields = stackalloc Range[5];
        int n = 0;
        foreach (Range token in line.Split((byte)' '))
        {
            if (line[token].IsEmpty)
                continue;
            fields[n++] = token;
            if (n == fields.Length)
                break;
        }
        if (n < 5)
            return false;
        ReadOnlySpan<byte> addresses = line[fields[0]];
        int dash = addresses.IndexOf((byte)'-');
        if (dash < 0 || !ulong.TryParse(addresses[..dash], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out start)
            || !ulong.TryParse(addresses[(dash + 1)..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out end))
            return false;
        ReadOnlySpan<byte> dev = line[fields[3]];
        int colon = dev.IndexOf((byte)':');
        if (colon < 0 || !uint.TryParse(dev[..colon], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint major)
            || !uint.TryParse(dev[(colon + 1)..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint minor))
            return false;
        anonymous = line[fields[4]].SequenceEqual("0"u8); // no file behind it (the stack, the heap, private anonymous maps)
        device = string.Create(CultureInfo.InvariantCulture, $"{major}:{minor}"); // mountinfo's decimal form
        return true;
    }

    private static bool ReadsOne(string path)
    {
        try
        {
            return File.ReadAllText(path).Trim() == "1";
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}
