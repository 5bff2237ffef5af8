using ProcWatch.Interop;

namespace ProcWatch.Kernel;

/// <summary>
/// What every one of our BPF objects' loaders does the same way (exec capture, deny, failed
/// execs): read its object file from the assembly's resources, and sum a per-CPU counter.
/// </summary>
internal static unsafe class BpfObjectParts
{
    /// <summary>The object file embedded under <paramref name="resourceName"/>; null when the build did not embed it.</summary>
    public static byte[]? ReadEmbedded(string resourceName)
    {
        using Stream? stream = typeof(BpfObjectParts).Assembly.GetManifestResourceStream(resourceName);
        if (stream is null)
            return null;
        byte[] image = new byte[stream.Length];
        stream.ReadExactly(image);
        return image;
    }

    /// <summary>Whether the build embedded <paramref name="resourceName"/>.</summary>
    public static bool IsEmbedded(string resourceName) =>
        typeof(BpfObjectParts).Assembly.GetManifestResourceInfo(resourceName) is not null;

    /// <summary>
    /// The sum over CPUs of slot <paramref name="index"/> of a per-CPU array map (one 8-byte
    /// value per possible CPU); 0 when the lookup fails.
    /// </summary>
    public static ulong SumPerCpu(int mapFd, uint index, int possibleCpus)
    {
        Span<ulong> values = possibleCpus <= 256 ? stackalloc ulong[possibleCpus] : new ulong[possibleCpus];
        fixed (ulong* v = values)
        {
            if (Libbpf.bpf_map_lookup_elem(mapFd, &index, v) != 0)
                return 0;
        }
        ulong sum = 0;
        foreach (ulong value in values)
            sum += value;
        return sum;
    }
}
